"""Labels of coded values (kinds, roles, statuses) in the user's language."""
from flask_babel import lazy_gettext as _l

GRID_KIND_LABELS = {
    "banner": _l("Banner"),
    "town": _l("Town"),
    "township": _l("Township"),
    "sumu": _l("Sumu"),
    "street": _l("Street"),
    "park": _l("Industrial park"),
    "village": _l("Village"),
    "gacha": _l("Gacha"),
    "community": _l("Community"),
    "basic": _l("Basic grid"),
}
LEVEL_LABELS = {1: _l("Level 1 (banner)"), 2: _l("Level 2 (township)"), 3: _l("Level 3 (village)"), 4: _l("Level 4 (basic grid)")}
PERSON_ROLE_LABELS = {
    "grid_worker": _l("Grid worker"),
    "grid_head": _l("Grid head"),
    "station_staff": _l("Station staff"),
    "office_staff": _l("Committee office staff"),
    "department_staff": _l("Industry department staff"),
}
GENDER_LABELS = {"male": _l("Male"), "female": _l("Female")}
PERSON_STATUS_LABELS = {"active": _l("Active"), "inactive": _l("Inactive"), "left": _l("Left")}
