"""Public tip-off pages (no login): /tipoff/ to report, /tipoff/status to follow a report.

Phone-first. The receipt with tracking code and PIN is rendered in the POST response (never a URL, never
stored in the session) and marked no-store, so the PIN is shown exactly once.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.core.settings import get_setting
from portal.extensions import db
from portal.grid.models import Grid
from portal.reward import intake
from portal.reward.photos import PhotoError, read_uploads
from portal.reward.tipoff_form import StatusForm, TipOffForm
from portal.reward.workflow import CLAIM_STATE_LABELS, TIPOFF_STATE_LABELS

bp = Blueprint("tipoff", __name__, url_prefix="/tipoff")


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def photo_limits() -> tuple[int, int]:
    return int(float(get_setting("tipoff_photo_max_mb")) * 1048576), int(get_setting("tipoff_photo_max_count"))


def handle_form(form: TipOffForm, channel: str, user=None):
    """Validate, store, commit. Returns (code, pin) or None with errors on the form."""
    if not form.validate_on_submit():
        return None
    max_bytes, max_count = photo_limits()
    try:
        blobs = read_uploads(request.files.getlist(form.photos.name), max_bytes, max_count)
    except PhotoError as e:
        form.photos.errors = [str(e)]
        return None
    named = form.identity.data == "named"
    try:
        code, pin = intake.file_tipoff(
            db.session, what=form.what.data, where_text=form.where_text.data, grid=form.grid,
            occurred_on=form.occurred_on.data, anonymous=not named,
            name=form.reporter_name.data if named else None, phone=form.reporter_phone.data if named else None,
            contact=form.reporter_contact.data if named else None, photo_blobs=blobs, channel=channel, user=user,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return code, pin


@bp.route("/", methods=["GET", "POST"])
def report():
    form = TipOffForm()
    done = handle_form(form, "public") if request.method == "POST" else None
    if done:
        code, pin = done
        return _no_store(make_response(render_template("reward/public_receipt.html", code=_fmt(code), pin=pin)))
    max_bytes, max_count = photo_limits()
    status = 400 if request.method == "POST" else 200
    return render_template("reward/public_report.html", form=form, max_mb=round(max_bytes / 1048576, 1),
                           max_count=max_count), status


def _fmt(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@bp.route("/grids")
def grids():
    """Small public grid search for the picker: active grids by code or name, at most 15."""
    q = (request.args.get("q") or "").strip()[:40]
    if len(q) < 1:
        return jsonify({"results": []})
    like = f"%{q}%"
    rows = db.session.execute(
        select(Grid).where(Grid.level >= 2, or_(Grid.code.like(q + "%"), Grid.name_zh.like(like), Grid.name_mn.like(like)))
        .order_by(Grid.level, Grid.path).limit(15)
    ).scalars().all()
    return jsonify({"results": [{"id": g.id, "code": g.code or "", "text": g.display_name} for g in rows]})


@bp.route("/status", methods=["GET", "POST"])
def status():
    form = StatusForm()
    info = error = None
    if request.method == "POST" and form.validate_on_submit():
        res = intake.check_pin(db.session, form.code.data, form.pin.data)
        if res.ok:
            info = intake.status_view(db.session, res.tip_id)
        elif res.locked_minutes:
            error = _("Too many wrong PINs for this tracking code. Try again in %(n)s minutes.", n=res.locked_minutes)
        else:
            # One message for an unknown code and a wrong PIN: the page must not confirm that a code exists.
            error = _("Tracking code or PIN is wrong.")
    elif request.method == "POST":
        error = _("Enter the tracking code and the PIN.")
    form.pin.data = ""
    resp = make_response(render_template(
        "reward/public_status.html", form=form, info=info, error=error,
        state_labels=TIPOFF_STATE_LABELS, claim_labels=CLAIM_STATE_LABELS,
    ), 200 if not error else 400)
    return _no_store(resp)


@bp.context_processor
def _context():
    return {"banner_name": get_setting("banner_name")}


@bp.route("/lang/<code>")
def lang(code):
    """Switch language and come back to the same public page (FAB's /lang/ returns to its own history)."""
    from flask import abort, current_app, redirect, session, url_for

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = code
    target = request.args.get("next")
    return redirect(url_for("tipoff.status" if target == "status" else "tipoff.report"))


def register_public(app) -> None:
    app.register_blueprint(bp)
