"""Excel import of people (人员花名册): grid workers, grid heads and staff."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forms.validators import ResidentId, Mobile, menksoft_positions, normalize_mobile, normalize_resident_id
from portal.extensions import db
from portal.grid.labels import GENDER_LABELS, PERSON_ROLE_LABELS, PERSON_STATUS_LABELS
from portal.grid.models import Grid, Person
from portal.importer import (
    ImportColumn,
    Importer,
    ImportView,
    Invalid,
    parse_bool,
    parse_coded,
    parse_text,
)
from portal.security.scope import current_scope

GRID_CODE = "grid.code"


def _len(model, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


def grids_by_code(codes) -> dict[str, list[Grid]]:
    """Grids with these codes — through the scoped session, so a grid outside the user's area is absent."""
    found: dict[str, list[Grid]] = {}
    codes = sorted({c for c in codes if c})
    for i in range(0, len(codes), 500):
        for grid in db.session.execute(select(Grid).where(Grid.code.in_(codes[i:i + 500]))).scalars():
            found.setdefault(grid.code, []).append(grid)
    return found


def parse_grid(level: int | None = None):
    """A grid given by its code; must be active, inside the user's scope and (if given) of ``level``."""

    def parse(text, ctx):
        grids = [g for g in ctx.grids.get(text, []) if g.active]
        if not grids:
            raise Invalid(_l("No active grid with this code in your area: %(code)s", code=text))
        if len(grids) > 1:
            raise Invalid(_l("Several grids have this code: %(code)s; correct the grid codes first", code=text))
        grid = grids[0]
        if level is not None and grid.level != level:
            raise Invalid(_l("Choose a basic grid (level 4): units belong to exactly one basic grid"))
        return grid

    return parse


def existing(column, values: set[str]) -> set[str]:
    """Values of a unique column already stored anywhere (not only in the user's area: the database
    constraint is global). Only the values come back, never the rows."""
    values_l = sorted(values)
    found: set[str] = set()
    for i in range(0, len(values_l), 500):
        stmt = select(column).where(column.in_(values_l[i:i + 500])).execution_options(skip_scope=True)
        found.update(v for (v,) in db.session.execute(stmt))
    return found


class GridLookupMixin:
    grids: dict[str, list[Grid]] = {}

    def prepare(self, raw_rows):
        self.grids = grids_by_code(r.get(GRID_CODE, "") for r in raw_rows)


def _mobile(text, ctx):
    value = normalize_mobile(text)
    if value is None:
        raise Invalid(Mobile.default_message)
    return value


def _resident_id(text, ctx):
    value = normalize_resident_id(text)
    if value is None:
        raise Invalid(ResidentId.default_message)
    return value


def _mongolian(text, ctx):
    text = parse_text(_len(Person, "name_mn"))(text, ctx)
    positions = menksoft_positions(text)
    if positions:
        raise Invalid(_l(
            "The text contains characters in Menksoft's old private encoding "
            "(%(count)d, the first at position %(pos)d), which cannot be displayed. "
            "Enter it as Unicode traditional Mongolian.",
            count=len(positions), pos=positions[0] + 1,
        ))
    return text


def _label(name):
    from portal.grid.views import PersonView

    return PersonView.label_columns[name]


class PersonImporter(GridLookupMixin, Importer):
    model = Person
    sheet_title = _l("People")

    def __init__(self):
        super().__init__()
        P = Person
        self.columns = [
            ImportColumn("name_zh", _label("name_zh"), parse_text(_len(P, "name_zh")), required=True),
            ImportColumn("name_mn", _label("name_mn"), _mongolian),
            ImportColumn("gender", _label("gender"), parse_coded(GENDER_LABELS, _l("Unknown gender"))),
            ImportColumn("ethnicity", _label("ethnicity"), parse_text(_len(P, "ethnicity"))),
            ImportColumn("id_number", _label("id_number"), _resident_id, unique=True),
            ImportColumn("mobile", _label("mobile"), _mobile),
            ImportColumn("role", _label("role"), parse_coded(PERSON_ROLE_LABELS, _l("Unknown role")), required=True),
            ImportColumn(GRID_CODE, _l("Grid code"), parse_grid(), aliases=("grid_code",)),
            ImportColumn("village_post", _label("village_post"), parse_text(_len(P, "village_post"))),
            ImportColumn("lives_in_grid", _label("lives_in_grid"), parse_bool),
            ImportColumn("badge_no", _label("badge_no"), parse_text(_len(P, "badge_no")), unique=True),
            ImportColumn("kit_issued", _label("kit_issued"), parse_bool),
            ImportColumn("status", _label("status"), parse_coded(PERSON_STATUS_LABELS, _l("Unknown status"))),
        ]

    def check(self, values, add_problem):
        # Outside the banner-wide roles every row must sit in the user's subtree, so it needs a grid.
        if values.get(GRID_CODE) is None and not current_scope().unrestricted:
            add_problem(GRID_CODE, _("Required"))

    def existing_values(self, column, values):
        return existing(getattr(Person, column), values)

    def build(self, values):
        person = Person(
            name_zh=values["name_zh"],
            role=values["role"],
            status=values.get("status") or "active",
            lives_in_grid=bool(values.get("lives_in_grid")),
            kit_issued=bool(values.get("kit_issued")),
        )
        for name in ("name_mn", "gender", "ethnicity", "village_post", "badge_no"):
            setattr(person, name, values.get(name) or None)
        # Normalised like the form does (upper-case X, 11-digit mobile).
        person.id_number = normalize_resident_id(values.get("id_number")) or None
        person.mobile = normalize_mobile(values.get("mobile")) or None
        person.grid = values.get(GRID_CODE)
        return person


class PersonImportView(ImportView):
    route_base = "/personimport"
    importer = PersonImporter
    list_endpoint = "PersonView.list"
    import_title = _l("Import people")
