"""Portal pages of tip-offs and reward claims (committee office, stations, departments, grid workers).

Handlers never see the reporter: identity is shown only after an explicit, logged "reveal" by the
committee office or Admin; lists, detail pages, exports and the API carry no identity otherwise.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, noload
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from portal.changelog.listeners import log_access
from portal.extensions import db
from portal.grid.models import Grid
from portal.ledger.labels import SECTOR_LABELS
from portal.ledger.models import SECTORS
from portal.reward import exports, workflow as W
from portal.reward.crypto import unseal
from portal.reward.models import RewardClaim, RewardScale, TipOff, TipOffPhoto
from portal.reward.photos import PhotoError, read_uploads, remove, store
from portal.security import roles as R
from portal.views_base import PortalModelView
from portal.workflow import TransitionError, flashed_step

REVEAL_ROLES = {R.ADMIN, R.COMMITTEE_OFFICE}


def role_names() -> set[str]:
    return {r.name for r in current_user.roles} if current_user.is_authenticated else set()


def may_reveal() -> bool:
    return bool(role_names() & REVEAL_ROLES)


def _get_or_404(model, pk):
    obj = db.session.get(model, pk)  # scoped: out of scope is simply not found
    if obj is None:
        abort(404)
    return obj


def _step_photos(tip: TipOff, step: str) -> list[str]:
    from portal.reward.public import photo_limits

    max_bytes, max_count = photo_limits()
    blobs = read_uploads(request.files.getlist("photos"), max_bytes, max_count)
    names = [store(b) for b in blobs]
    for n, b in zip(names, blobs):
        tip.photos.append(TipOffPhoto(step=step, stored_name=n, content_type="image/jpeg", size=len(b)))
    return names


class IdentityExportMixin:
    """Lists whose export may include the sealed identity: the office sees an explicit tick box."""

    list_template = "reward/list_identity_export.html"

    def render_template(self, template, **kwargs):
        kwargs.setdefault("may_reveal_identity", may_reveal())
        return super().render_template(template, **kwargs)


class TipOffView(IdentityExportMixin, PortalModelView):
    """举报线索: the committee office triages; the assigned station or department verifies."""

    route_base = "/tipoffs"
    datamodel = SQLAInterface(TipOff)
    base_permissions = ["can_list", "can_show", "can_export", "can_transition", "can_reveal"]
    list_title = _l("Tip-offs")
    show_title = _l("Tip-off")
    list_columns = ["display_code", "created_on", "status", "grid", "assigned_grid", "assigned_sector", "channel"]
    order_columns = ["created_on", "status"]
    search_columns = ["tracking_code", "status", "verdict", "channel", "created_on", "assigned_sector"]
    base_order = ("created_on", "desc")
    value_labels = {
        "status": W.TIPOFF_STATE_LABELS, "verdict": W.TIPOFF_STATE_LABELS, "channel": exports.CHANNEL_LABELS,
        "assigned_sector": SECTOR_LABELS,
    }
    label_columns = {
        "display_code": _l("Tracking code"), "tracking_code": _l("Tracking code"), "created_on": _l("Filed on"),
        "status": _l("Status"), "verdict": _l("Verification result"), "grid": _l("Grid"),
        "assigned_grid": _l("Assigned station"), "assigned_sector": _l("Assigned department"),
        "channel": _l("Channel"),
    }

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        return self._case(_get_or_404(TipOff, int(pk)))

    def _case(self, tip: TipOff, identity=None):
        roles = role_names()
        stations = []
        if tip.status == "submitted" and R.COMMITTEE_OFFICE in roles | ({R.COMMITTEE_OFFICE} if R.ADMIN in roles else set()):
            stations = db.session.execute(select(Grid).where(Grid.level == 2, Grid.active.is_(True)).order_by(Grid.code)).scalars().all()
        steps = [t for t in W.TIPOFF.available(tip, roles | ({R.COMMITTEE_OFFICE} if R.ADMIN in roles else set()))
                 if t.action != "triage"]
        scales = db.session.execute(select(RewardScale).where(RewardScale.active.is_(True)).order_by(RewardScale.id)).scalars().all()
        return self.render_template(
            "reward/tipoff_case.html", tip=tip, events=W.timeline(db.session, "TipOff", tip.id), steps=steps,
            stations=stations, sectors=[(s, SECTOR_LABELS[s]) for s in SECTORS], scales=scales,
            identity=identity, may_reveal=may_reveal(), labels=W.TIPOFF_STATE_LABELS, claim_labels=W.CLAIM_STATE_LABELS,
            can_claim=tip.verdict in ("verified_true", "verified_partly") and tip.claim is None
            and bool(roles & (W.CLAIM_HANDLERS | {R.ADMIN})),
            title=_l("Tip-off"),
        )

    @expose("/triage/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("transition")
    def triage(self, pk):
        tip = _get_or_404(TipOff, pk)
        station = None
        if request.form.get("station_id"):
            station = db.session.execute(select(Grid).where(Grid.id == request.form.get("station_id", type=int))).scalar_one_or_none()
        sector = request.form.get("sector") or None
        if sector and sector not in SECTORS:
            sector = None
        with flashed_step(db.session, _("Assigned")):
            W.triage(db.session, tip, current_user, request.form.get("note"), station=station, sector=sector)
        return redirect(url_for("TipOffView.show", pk=pk))

    @expose("/step/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("transition")
    def step(self, pk):
        tip = _get_or_404(TipOff, pk)
        action = request.form.get("action", "")
        stored = []
        with flashed_step(db.session, _("Saved"), (TransitionError, PhotoError), on_refused=lambda: remove(stored)):
            stored.extend(_step_photos(tip, action))
            W.step(db.session, tip, action, current_user, request.form.get("note"))
            reply = (request.form.get("public_reply") or "").strip()
            if reply:
                tip.public_reply = reply[:2000]
        return redirect(url_for("TipOffView.show", pk=pk))

    @expose("/reveal/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("reveal")
    def reveal(self, pk):
        if not may_reveal():
            abort(403)
        tip = _get_or_404(TipOff, pk)
        identity = {
            "name": unseal(tip.reporter_name_enc), "phone": unseal(tip.reporter_phone_enc),
            "contact": unseal(tip.reporter_contact_enc),
        }
        log_access(db.session, tip, exports.IDENTITY_FIELDS)
        db.session.commit()
        return self._case(tip, identity=identity)

    @expose("/photo/<int:photo_id>")
    @has_access
    @permission_name("show")
    def photo(self, photo_id):
        from portal.reward.photos import path_of

        ph = _get_or_404(TipOffPhoto, photo_id)
        return send_file(path_of(ph.stored_name), mimetype=ph.content_type, max_age=0)

    @expose("/claim/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("transition")
    def claim(self, pk):
        tip = _get_or_404(TipOff, pk)
        scale = db.session.get(RewardScale, request.form.get("scale_id", type=int) or 0)
        try:
            fine = _decimal(request.form.get("fine_amount"))
            if scale is None:
                raise TransitionError(_("Choose a reward scale"))
            claim = W.propose_claim(db.session, tip, scale, current_user, fine, request.form.get("note"))
            db.session.commit()
            flash(_("Reward proposed: %(amount)s yuan", amount=claim.proposed_amount), "success")
            return redirect(url_for("RewardClaimView.show", pk=claim.id))
        except TransitionError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(url_for("TipOffView.show", pk=pk))

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        include = request.args.get("include_identity") == "1"
        if include and not may_reveal():
            abort(403)
        # Photos are not exported; the claim's own back-reference would nest collection loads (no yield_per).
        query = self.filtered_query().options(noload(TipOff.photos), joinedload(TipOff.claim).noload(RewardClaim.tipoff))
        return exports.export(query, str(_l("Tip-off register")), exports.tipoff_columns(), include)


def _decimal(text):
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TransitionError(_("Enter an amount in yuan, e.g. 5000"))
    if value < 0 or value > Decimal("100000000"):
        raise TransitionError(_("Enter an amount in yuan, e.g. 5000"))
    return value


class RewardClaimView(IdentityExportMixin, PortalModelView):
    """举报奖励: proposed from the scale, reviewed by the handler, decided and paid by the committee office."""

    route_base = "/rewardclaims"
    datamodel = SQLAInterface(RewardClaim)
    base_permissions = ["can_list", "can_show", "can_export", "can_transition", "can_decide"]
    list_title = _l("Reward claims")
    show_title = _l("Reward claim")
    list_columns = ["tracking_code", "status", "scale", "proposed_amount", "amount", "decided_on", "paid_on"]
    order_columns = ["status", "proposed_amount", "amount", "decided_on", "paid_on"]
    search_columns = ["status", "decided_on", "paid_on"]
    base_order = ("id", "desc")
    value_labels = {"status": W.CLAIM_STATE_LABELS, "pay_method": W.PAY_METHODS}
    label_columns = {
        "tracking_code": _l("Tracking code"), "status": _l("Status"), "scale": _l("Reward scale"),
        "proposed_amount": _l("Proposed amount"), "amount": _l("Reviewed amount"), "decided_on": _l("Decided on"),
        "paid_on": _l("Paid on"), "pay_method": _l("Payment method"),
    }

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        claim = _get_or_404(RewardClaim, int(pk))
        roles = role_names()
        return self.render_template(
            "reward/claim_case.html", claim=claim, events=W.timeline(db.session, "RewardClaim", claim.id),
            steps={t.action for t in W.CLAIM.available(claim, roles | ({R.COMMITTEE_OFFICE} if R.ADMIN in roles else set()))},
            labels=W.CLAIM_STATE_LABELS, tip_labels=W.TIPOFF_STATE_LABELS, basis_labels=W.BASIS_LABELS,
            pay_methods=W.PAY_METHODS, today=dt.date.today(), title=_l("Reward claim"),
        )

    def _done(self, pk, fn):
        claim = _get_or_404(RewardClaim, pk)
        with flashed_step(db.session, _("Saved")):
            fn(claim)
        return redirect(url_for("RewardClaimView.show", pk=pk))

    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("transition")
    def review(self, pk):
        return self._done(pk, lambda c: W.review_claim(
            db.session, c, current_user, _decimal(request.form.get("amount")), request.form.get("note")))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, pk):
        return self._done(pk, lambda c: W.decide_claim(
            db.session, c, request.form.get("action", ""), current_user, request.form.get("note")))

    @expose("/pay/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def pay(self, pk):
        def do(c):
            try:
                paid_on = dt.date.fromisoformat(request.form.get("paid_on", ""))
            except ValueError:
                raise TransitionError(_("Give the payment date and method"))
            W.pay_claim(db.session, c, current_user, paid_on, request.form.get("pay_method", ""),
                        request.form.get("pay_reference"), request.form.get("note"))

        return self._done(pk, do)

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        include = request.args.get("include_identity") == "1"
        if include and not may_reveal():
            abort(403)
        # The tip-off's collections are not needed here, and nested collection loads cannot stream (yield_per).
        query = self.filtered_query().options(
            joinedload(RewardClaim.tipoff).noload(TipOff.photos), joinedload(RewardClaim.tipoff).noload(TipOff.claim)
        )
        return exports.export(query, str(_l("Reward register")), exports.claim_columns(), include,
                              tip_of=lambda c: c.tipoff)


class RewardScaleView(PortalModelView):
    """奖励标准: edited by the committee office only (permission manage_scale)."""

    route_base = "/rewardscales"
    datamodel = SQLAInterface(RewardScale)
    method_permission_name = {
        "add": "manage_scale", "edit": "manage_scale", "delete": "manage_scale", "list": "list", "show": "show",
        "export": "export", "action": "manage_scale", "action_post": "manage_scale",
    }
    base_permissions = ["can_list", "can_show", "can_export", "can_manage_scale"]
    list_title = _l("Reward scales")
    show_title = _l("Reward scale")
    add_title = _l("Add reward scale")
    edit_title = _l("Edit reward scale")
    list_columns = ["name", "category", "basis", "fixed_amount", "percentage", "minimum", "maximum", "active"]
    add_columns = ["category", "name", "basis", "fixed_amount", "percentage", "minimum", "maximum", "active", "note"]
    edit_columns = add_columns
    show_columns = add_columns
    # Not FAB's default (every column): the timestamps would appear as unlabelled English filters.
    search_columns = ["category", "name", "basis", "active"]
    value_labels = {"basis": W.BASIS_LABELS}
    label_columns = {
        "name": _l("Name"), "category": _l("Category"), "basis": _l("Basis"), "fixed_amount": _l("Fixed amount"),
        "percentage": _l("Percentage of the fine"), "minimum": _l("Minimum"), "maximum": _l("Maximum"),
        "active": _l("Active"), "note": _l("Note"),
    }
    add_form_extra_fields = {
        "basis": SelectField(_l("Basis"), choices=list(W.BASIS_LABELS.items()), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields


class TipOffFileView(BaseView):
    """A grid worker files a tip-off inside the portal (same form, same sealing as the public page)."""

    route_base = "/tipoffs/file"
    default_view = "file"
    base_permissions = ["can_add"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def file(self):
        from portal.reward.public import handle_form, photo_limits
        from portal.reward.tipoff_form import TipOffForm

        form = TipOffForm()
        if request.method == "GET" and current_user.profile is not None and current_user.profile.grid_id:
            form.grid_id.data = str(current_user.profile.grid_id)
            form.grid = current_user.profile.grid
        done = handle_form(form, "portal", user=current_user) if request.method == "POST" else None
        max_bytes, max_count = photo_limits()
        return self.render_template(
            "reward/portal_file.html", form=form, done=done, max_mb=round(max_bytes / 1048576, 1),
            max_count=max_count, title=_l("File a tip-off"),
        ), (400 if request.method == "POST" and not done else 200)


class TipOffApi(ModelRestApi):
    """Read-only API of tip-offs: no identity, no PIN data, ever."""

    resource_name = "tipoff"
    datamodel = SQLAInterface(TipOff)
    list_columns = ["id", "tracking_code", "status", "verdict", "channel", "grid_id", "where_text", "occurred_on",
                    "assigned_grid_id", "assigned_sector", "hazard_id", "case_ref", "created_on"]
    show_columns = list_columns + ["what", "public_reply"]
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = True


def register_views(appbuilder) -> None:
    cat = "Tip-offs"
    appbuilder.add_view(TipOffView, "Tip-offs", label=_l("Tip-offs"), icon="fa-bullhorn", category=cat,
                        category_label=_l("Tip-offs"))
    appbuilder.add_view(TipOffFileView, "File a tip-off", label=_l("File a tip-off"), icon="fa-pen", category=cat)
    appbuilder.add_view(RewardClaimView, "Reward claims", label=_l("Reward claims"), icon="fa-award", category=cat)
    appbuilder.add_view(RewardScaleView, "Reward scales", label=_l("Reward scales"), icon="fa-percent", category=cat)
    appbuilder.add_api(TipOffApi)
