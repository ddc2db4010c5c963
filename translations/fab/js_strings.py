"""User-visible strings that Flask-AppBuilder 5.3 hard-codes in JavaScript.

This module is never imported by the application: it exists only so that
``pybabel extract`` puts these strings in translations/fab/fab.pot. The portal's
templates pass the translated values to the browser (e.g. a small inline
``window.ANWANG_I18N = {...}`` object read by an override of ab.js, and the
bootstrap-datepicker / Select2 language options).

Sources in flask_appbuilder/static/appbuilder/:
  js/ab.js                 Select2 placeholders "Select" and "Select a State"
  select2 (4.0.13)         default English messages (i18n/en.js)
  bootstrap-datepicker     default English "en" dates locale
"""


def _(s):  # pragma: no cover - marker for extraction only
    return s


JS_STRINGS = [
    # --- js/ab.js: select2 placeholders ---------------------------------
    _("Select"),
    _("Select a State"),
    # --- Select2 4.0.13 default messages (i18n/en.js) ------------------
    # TRANSLATORS: Select2 message; the portal's script puts the number in %(count)s.
    _("The results could not be loaded."),
    _("Please delete %(count)s character"),
    _("Please delete %(count)s characters"),
    _("Please enter %(count)s or more characters"),
    _("Loading more results…"),
    _("You can only select %(count)s item"),
    _("You can only select %(count)s items"),
    _("No results found"),
    _("Searching…"),
    _("Remove all items"),
    # --- bootstrap-datepicker default "en" locale ----------------------
    _("Today"),
    _("Clear"),
    _("Sunday"),
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sun"),
    _("Mon"),
    _("Tue"),
    _("Wed"),
    _("Thu"),
    _("Fri"),
    _("Sat"),
    _("Su"),
    _("Mo"),
    _("Tu"),
    _("We"),
    _("Th"),
    _("Fr"),
    _("Sa"),
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
    _("Jan"),
    _("Feb"),
    _("Mar"),
    _("Apr"),
    # "May" short form is identical to the long form above.
    _("Jun"),
    _("Jul"),
    _("Aug"),
    _("Sep"),
    _("Oct"),
    _("Nov"),
    _("Dec"),
    # TRANSLATORS: bootstrap-datepicker title format, not shown as such:
    # keep the tokens MM (month name) and yyyy (year) in Latin letters, reorder them and add
    # words around them as the language needs.
    _("MM yyyy"),
]
