"""Admin views of the grid tree and its people."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from forms.validators import Mobile, MongolianText, ResidentId
from portal.extensions import db
from portal.grid.fields import GridSelectField, PersonSelectField
from portal.grid.labels import (
    GENDER_LABELS,
    GRID_KIND_LABELS,
    LEVEL_LABELS,
    PERSON_ROLE_LABELS,
    PERSON_STATUS_LABELS,
)
from portal.grid.models import LEVEL_OF_KIND, Assignment, Grid, Person
from portal.grid.validators import ValidParent
from portal.security import roles as R
from portal.views_base import PortalModelView
from portal.workforce.views import TrainingAttendanceView


def _choices(labels):
    return [(k, v) for k, v in labels.items()]


class GridView(PortalModelView):
    """网格: all four levels in one list."""

    datamodel = SQLAInterface(Grid)
    list_title = _l("Grids")
    show_title = _l("Grid")
    add_title = _l("Add grid")
    edit_title = _l("Edit grid")
    list_columns = ["display_name", "kind", "level", "code", "parent", "active"]
    order_columns = ["code", "level", "kind"]
    search_columns = ["name_zh", "name_mn", "code", "kind", "level", "active"]
    base_order = ("path", "asc")
    value_labels = {"kind": GRID_KIND_LABELS, "level": LEVEL_LABELS}
    add_columns = [
        "parent", "kind", "code", "code_year", "name_zh", "name_mn", "area", "responsible_body",
        "supervisor_body", "duties", "tasks", "rewards_penalties", "active",
    ]
    edit_columns = add_columns
    show_columns = [
        "display_name", "name_zh", "name_mn", "kind", "level", "code", "code_year", "parent", "area",
        "responsible_body", "supervisor_body", "duties", "tasks", "rewards_penalties", "active", "path",
    ]
    label_columns = {
        "display_name": _l("Name"),
        "name_zh": _l("Name (Chinese)"),
        "name_mn": _l("Name (Mongolian)"),
        "kind": _l("Kind"),
        "level": _l("Level"),
        "code": _l("Division code"),
        "code_year": _l("Code release year"),
        "parent": _l("Parent grid"),
        "area": _l("Area and boundary"),
        "responsible_body": _l("Responsible body"),
        "supervisor_body": _l("Supervising body"),
        "duties": _l("Duties"),
        "tasks": _l("Tasks"),
        "rewards_penalties": _l("Rewards and penalties"),
        "active": _l("Active"),
        "path": _l("Tree path"),
    }
    add_form_extra_fields = {
        "parent": GridSelectField(_l("Parent grid"), validators=[ValidParent()]),
        "kind": SelectField(_l("Kind"), choices=_choices(GRID_KIND_LABELS), validators=[DataRequired()]),
        # FAB makes every NOT NULL column required; an unticked box is a valid "no".
        "active": BooleanField(_l("Active"), default=True),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {"name_mn": [MongolianText()]}

    def pre_add(self, item):
        item.level = LEVEL_OF_KIND[item.kind]

    def pre_update(self, item):
        item.level = LEVEL_OF_KIND[item.kind]

    def pre_delete(self, item):
        if db.session.query(Grid.id).filter(Grid.parent_id == item.id).first() is not None:
            raise Exception(str(_l("This grid still has child grids: move or delete them first")))
        from portal.ledger.models import Unit

        if db.session.query(Unit.id).filter(Unit.grid_id == item.id).first() is not None:
            raise Exception(str(_l("This grid still has units: move them to another grid first")))


def can_see_identifiers() -> bool:
    """Roles that need full ID numbers and phones (station staff keep the roster, R2)."""
    if not current_user.is_authenticated:
        return False
    names = {r.name for r in current_user.roles}
    return bool(names & {R.ADMIN, R.COMMITTEE_OFFICE, R.STATION_STAFF})


def mask_id(value) -> str:
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "****"


def mask_mobile(value) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else "****"


def _reveal(field_name, masker):
    def fmt(value):
        if not value:
            return ""
        if can_see_identifiers() and request.endpoint and request.endpoint.endswith(".show"):
            from portal.security.scope import request_cache

            logged = request_cache().setdefault("revealed", set())
            if field_name not in logged:
                logged.add(field_name)
                from portal.changelog.listeners import log_access

                pk = (request.view_args or {}).get("pk")
                if pk is not None:
                    obj = db.session.get(Person, int(pk))
                    if obj is not None:
                        log_access(db.session, obj, [field_name])
                        db.session.commit()
            return value
        return masker(value)

    return fmt


class BadgePhoto:
    """Checks an uploaded badge photo (magic bytes, Pillow decode, size) and replaces the field's data
    with the clean re-encoded JPEG, so nothing unchecked ever reaches the disk."""

    def __call__(self, form, field):
        from portal.reward.photos import PhotoError, read_uploads

        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            field.data = None
            return
        try:
            field.data = read_uploads([upload], max_bytes=4 * 1024 * 1024, max_count=1)[0]
        except PhotoError as e:
            field.data = None
            raise ValidationError(str(e))


class PersonView(PortalModelView):
    """人员: grid workers, grid heads and staff (网格员信息管理档案)."""

    datamodel = SQLAInterface(Person)
    list_title = _l("People")
    show_title = _l("Person")
    add_title = _l("Add person")
    edit_title = _l("Edit person")
    list_columns = ["display_name", "role", "grid", "mobile", "badge_no", "status"]
    order_columns = ["role", "badge_no", "status"]
    search_columns = ["name_zh", "name_mn", "grid", "role", "badge_no", "status", "mobile"]
    search_form_extra_fields = {"grid": GridSelectField(_l("Grid"))}  # searched on the server
    import_endpoint = "PersonImportView.upload"
    value_labels = {"role": PERSON_ROLE_LABELS, "gender": GENDER_LABELS, "status": PERSON_STATUS_LABELS}
    add_columns = [
        "name_zh", "name_mn", "gender", "ethnicity", "id_number", "mobile", "role", "grid", "village_post",
        "lives_in_grid", "badge_no", "kit_issued", "status", "photo_upload",
    ]
    edit_columns = add_columns
    show_columns = add_columns[:-1] + ["photo_url"]
    related_views = [TrainingAttendanceView]  # training history on the roster page (R2, R12)
    label_columns = {
        "display_name": _l("Name"),
        "name_zh": _l("Name (Chinese)"),
        "name_mn": _l("Name (Mongolian)"),
        "gender": _l("Gender"),
        "ethnicity": _l("Ethnicity"),
        "id_number": _l("Resident ID number"),
        "mobile": _l("Mobile phone"),
        "role": _l("Role"),
        "grid": _l("Grid"),
        "village_post": _l("Post in the village"),
        "lives_in_grid": _l("Lives in the grid"),
        "badge_no": _l("Badge number"),
        "kit_issued": _l("Patrol kit issued"),
        "status": _l("Status"),
        "photo_upload": _l("Badge photo"),
        "photo_url": _l("Badge photo"),
    }
    add_form_extra_fields = {
        "grid": GridSelectField(_l("Grid"), validators=[Optional()]),
        "role": SelectField(_l("Role"), choices=_choices(PERSON_ROLE_LABELS), validators=[DataRequired()]),
        "gender": SelectField(_l("Gender"), choices=[("", "")] + _choices(GENDER_LABELS), validators=[Optional()]),
        "status": SelectField(_l("Status"), choices=_choices(PERSON_STATUS_LABELS), validators=[DataRequired()]),
        "lives_in_grid": BooleanField(_l("Lives in the grid")),
        "kit_issued": BooleanField(_l("Patrol kit issued")),
        "photo_upload": FileField(_l("Badge photo"), validators=[BadgePhoto()]),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "id_number": [Optional(), ResidentId()],
        "mobile": [Optional(), Mobile()],
        "name_mn": [MongolianText()],
    }

    def __init__(self, **kwargs):
        self.formatters_columns = {
            "id_number": _reveal("id_number", mask_id),
            "mobile": _reveal("mobile", mask_mobile),
            "photo_url": lambda url: Markup(f'<img src="{escape(url)}" alt="" style="max-height:120px">') if url else "",
        }
        super().__init__(**kwargs)

    def pre_add(self, item):
        self._normalise(item)

    def pre_update(self, item):
        self._normalise(item)

    @expose("/photo/<int:pk>")
    @has_access
    @permission_name("show")
    def photo(self, pk):
        """The badge photo, only through the scoped query: another area's person is a 404."""
        from flask import send_file

        from portal.reward.photos import path_of

        person = self.datamodel.get(pk)
        if person is None or not person.photo:
            abort(404)
        response = send_file(path_of(person.photo, "person"), mimetype="image/jpeg")
        response.headers["Cache-Control"] = "private, max-age=300"
        return response

    @staticmethod
    def _normalise(item):
        from forms.validators import normalize_mobile, normalize_resident_id

        item.id_number = normalize_resident_id(item.id_number) or None
        item.mobile = normalize_mobile(item.mobile) or None
        item.badge_no = item.badge_no or None
        blob = getattr(item, "photo_upload", None)
        if isinstance(blob, bytes) and blob:
            from portal.reward.photos import store

            item.photo = store(blob, "person")


class AssignmentView(PortalModelView):
    """任职记录: who served which grid, from when to when."""

    datamodel = SQLAInterface(Assignment)
    list_title = _l("Assignments")
    show_title = _l("Assignment")
    add_title = _l("Add assignment")
    edit_title = _l("Edit assignment")
    list_columns = ["person", "grid", "role", "start_date", "end_date"]
    order_columns = ["start_date", "end_date", "role"]
    search_columns = ["person", "grid", "role", "start_date", "end_date"]
    search_form_extra_fields = {"person": PersonSelectField(_l("Person")), "grid": GridSelectField(_l("Grid"))}
    base_order = ("start_date", "desc")
    value_labels = {"role": PERSON_ROLE_LABELS}
    add_columns = ["person", "grid", "role", "start_date", "end_date", "note"]
    edit_columns = add_columns
    label_columns = {
        "person": _l("Person"),
        "grid": _l("Grid"),
        "role": _l("Role"),
        "start_date": _l("From"),
        "end_date": _l("To"),
        "note": _l("Note"),
    }
    add_form_extra_fields = {
        "person": PersonSelectField(_l("Person"), validators=[DataRequired()]),
        "grid": GridSelectField(_l("Grid"), validators=[DataRequired()]),
        "role": SelectField(_l("Role"), choices=_choices(PERSON_ROLE_LABELS), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields


class PersonSearchView(BaseView):
    """Server-side search for person pickers (at most 30, scoped)."""

    route_base = "/personsearch"
    default_view = "search"

    @expose("/")
    def search(self):
        if not current_user.is_authenticated:
            abort(401)
        q = (request.args.get("q") or "").strip()
        stmt = select(Person)
        chosen = request.args.get("id", type=int)  # the label of a choice already made (a list filter)
        if chosen is not None:
            stmt = stmt.where(Person.id == chosen)
        elif q:
            like = f"%{q}%"
            stmt = stmt.where(or_(Person.name_zh.like(like), Person.name_mn.like(like), Person.badge_no.like(like)))
        rows = db.session.execute(stmt.order_by(Person.name_zh).limit(30)).scalars().all()
        return jsonify({"results": [
            {"id": p.id, "text": f"{p.display_name}（{p.grid.display_name if p.grid else '-'}）"} for p in rows
        ]})


class GridSearchView(BaseView):
    """Server-side search for grid pickers: returns at most 30 matches, scoped like every query."""

    route_base = "/gridsearch"
    default_view = "search"

    @expose("/")
    def search(self):
        if not current_user.is_authenticated:
            abort(401)
        q = (request.args.get("q") or "").strip()
        level = request.args.get("level", type=int)
        stmt = select(Grid).where(Grid.active.is_(True))
        chosen = request.args.get("id", type=int)  # the label of a choice already made (a list filter)
        if chosen is not None:
            stmt = stmt.where(Grid.id == chosen)
        if level:
            stmt = stmt.where(Grid.level == level)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(Grid.name_zh.like(like), Grid.name_mn.like(like), Grid.code.like(like)))
        rows = db.session.execute(stmt.order_by(Grid.path).limit(30)).scalars().all()
        results = []
        for grid in rows:
            text = grid.display_name
            if grid.parent is not None:
                text = f"{grid.parent.display_name} / {text}"
            results.append({"id": grid.id, "text": text})
        return jsonify({"results": results})
