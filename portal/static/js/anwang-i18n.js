/* Anwang 安网 — FAB's hard-coded JavaScript texts in the page's language.
 *
 * window.ANWANG_I18N is written by templates/appbuilder/init.html from the message catalog
 * (portal/i18n.py js_strings). Loaded after select2 and bootstrap-datepicker, before ab.js:
 *   - Select2: language texts as defaults; ab.js passes the English placeholders "Select" and
 *     "Select a State" explicitly, so they are translated on their way into select2();
 *   - bootstrap-datepicker: a "portal" language (day and month names, today/clear, title) as default.
 * Nothing is loaded from another host.
 */
(function ($) {
  "use strict";
  var T = window.ANWANG_I18N;
  if (!$ || !T) { return; }

  function fill(text, n) { return String(text).replace("%(count)s", n); }
  // Plural-Forms of both catalogs: nplurals=2; plural=(n != 1).
  function plural(pair, n) { return fill(n === 1 ? pair[0] : pair[1], n); }

  if ($.fn.select2) {
    var S = T.select2;
    $.fn.select2.defaults.set("language", {
      errorLoading: function () { return S.errorLoading; },
      inputTooLong: function (a) { return plural(S.inputTooLong, a.input.length - a.maximum); },
      inputTooShort: function (a) { return fill(S.inputTooShort, a.minimum - a.input.length); },
      loadingMore: function () { return S.loadingMore; },
      maximumSelected: function (a) { return plural(S.maximumSelected, a.maximum); },
      noResults: function () { return S.noResults; },
      searching: function () { return S.searching; },
      removeAllItems: function () { return S.removeAllItems; }
    });

    var original = $.fn.select2;
    var wrapped = function (options) {
      if (options && typeof options === "object" && typeof options.placeholder === "string" &&
          Object.prototype.hasOwnProperty.call(T.placeholders, options.placeholder)) {
        var args = Array.prototype.slice.call(arguments);
        args[0] = $.extend({}, options, { placeholder: T.placeholders[options.placeholder] });
        return original.apply(this, args);
      }
      return original.apply(this, arguments);
    };
    $.extend(wrapped, original);   // keep $.fn.select2.defaults, .amd
    $.fn.select2 = wrapped;
  }

  if ($.fn.datepicker && $.fn.datepicker.dates) {
    $.fn.datepicker.dates.portal = T.datepicker;
    $.fn.datepicker.defaults.language = "portal";
    $.fn.datepicker.defaults.weekStart = T.datepicker.weekStart;
  }
})(window.jQuery);
