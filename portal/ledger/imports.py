"""Excel import of the unit ledger (生产经营单位信息台账): a station brings its existing spreadsheet in.

Imported units start the intake workflow as drafts like any new unit: entering the ledger stays a
reviewed step (confirm → approve → enter), taken afterwards with the list's bulk actions.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from forms.validators import CreditCode, normalize_credit_code, normalize_mobile
from portal.grid.imports import GRID_CODE, GridLookupMixin, _len, existing, parse_grid
from portal.importer import (
    ImportColumn,
    Importer,
    ImportView,
    Invalid,
    coded_lookup,
    norm_key,
    parse_bool,
    parse_coded,
    parse_date,
    parse_int,
    parse_text,
)
from portal.ledger.labels import MODE_LABELS, SCALE_LABELS, SECTOR_LABELS, UNIT_KIND_LABELS
from portal.ledger.models import Unit
from portal.ledger.rules import apply_mode

_INDUSTRY_RE = re.compile(r"^[A-T](\d{2,4})?$")  # GB/T 4754-2017: section letter, optional division/class
_FIXED_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")  # the same fixed-line rule as the unit form
_SECTOR_SPLIT = re.compile(r"[、,，;；/|\n]+")


def _credit_code(text, ctx):
    value = normalize_credit_code(text)
    if value is None:
        raise Invalid(CreditCode.default_message)
    return value


def _industry(text, ctx):
    value = text.strip().upper()
    if not _INDUSTRY_RE.match(value):
        raise Invalid(_l("Invalid industry code: a section letter A-T, optionally with digits, e.g. C26"))
    return value


def _phone(text, ctx):
    if _FIXED_RE.match(text):
        return text
    value = normalize_mobile(text)
    if value is None:
        raise Invalid(_l("Invalid phone: an 11-digit mobile number or a fixed line with area code, e.g. 0476-1234567"))
    return value


def _sectors(text, ctx):
    table = ctx.cached("sectors", lambda: coded_lookup(SECTOR_LABELS))
    codes = []
    for part in _SECTOR_SPLIT.split(text):
        if not part.strip():
            continue
        code = table.get(norm_key(part))
        if code is None:
            raise Invalid(_l("Unknown high-risk sector: %(v)s", v=part.strip()))
        codes.append(code)
    return codes


def _label(name):
    from portal.ledger.views import UnitView

    return UnitView.label_columns[name]


class UnitImporter(GridLookupMixin, Importer):
    model = Unit
    sheet_title = _l("Units")

    def __init__(self):
        super().__init__()
        U = Unit
        self.columns = [
            ImportColumn("name", _label("name"), parse_text(_len(U, "name")), required=True),
            ImportColumn("credit_code", _label("credit_code"), _credit_code, unique=True),
            ImportColumn("kind", _label("kind"), parse_coded(UNIT_KIND_LABELS, _l("Unknown unit kind")), required=True),
            ImportColumn("industry_code", _label("industry_code"), _industry),
            ImportColumn("scale", _label("scale"), parse_coded(SCALE_LABELS, _l("Unknown scale"))),
            ImportColumn("sectors", _label("sectors"), _sectors, aliases=("sector_list",)),
            ImportColumn("fire_key", _label("fire_key"), parse_bool),
            ImportColumn("address", _label("address"), parse_text(_len(U, "address"))),
            ImportColumn("legal_rep", _label("legal_rep"), parse_text(_len(U, "legal_rep"))),
            ImportColumn("safety_contact", _label("safety_contact"), parse_text(_len(U, "safety_contact"))),
            ImportColumn("phone", _label("phone"), _phone),
            ImportColumn("employees", _label("employees"), parse_int(0)),
            ImportColumn(GRID_CODE, _label(GRID_CODE), parse_grid(level=4), required=True, aliases=("grid_code",)),
            ImportColumn("mode_override", _label("mode_override"), parse_coded(MODE_LABELS, _l("Unknown management mode"))),
            ImportColumn("mode_override_reason", _label("mode_override_reason"), parse_text(_len(U, "mode_override_reason"))),
            ImportColumn("last_verified", _label("last_verified"), parse_date),
            ImportColumn("note", _label("note")),
        ]

    def check(self, values, add_problem):
        if values.get("mode_override") and not values.get("mode_override_reason"):
            add_problem("mode_override_reason", _("A manual management mode needs a reason"))

    def existing_values(self, column, values):
        # Stored codes are normalised (upper case) by the form and by this import.
        return {v.upper() for v in existing(func.upper(Unit.credit_code), {v.upper() for v in values}) if v}

    def build(self, values):
        unit = Unit(name=values["name"], kind=values["kind"], fire_key=bool(values.get("fire_key")))
        for name in ("credit_code", "industry_code", "scale", "address", "legal_rep", "safety_contact", "phone",
                     "employees", "mode_override", "last_verified", "note"):
            setattr(unit, name, values.get(name) if values.get(name) not in ("", None) else None)
        unit.mode_override_reason = values.get("mode_override_reason") if unit.mode_override else None
        unit.sector_list = values.get("sectors") or []
        unit.grid = values[GRID_CODE]
        apply_mode(unit)
        return unit


class UnitImportView(ImportView):
    route_base = "/unitimport"
    importer = UnitImporter
    list_endpoint = "UnitView.list"
    import_title = _l("Import units")
