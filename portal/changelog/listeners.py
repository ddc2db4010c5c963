"""Every write passes through the session, so the change log listens there, not in each view."""
from __future__ import annotations

import datetime as dt
import decimal
import json

from flask import has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from portal.changelog.models import AccessLog, ChangeLog
from portal.core.models import utcnow

# Columns whose values are confidential: the log records that they changed, not what to.
SECRET_COLUMNS = {"id_number", "password", "reporter_name_enc", "reporter_phone_enc", "reporter_contact_enc", "pin_hash"}
SKIP_COLUMNS = {"changed_on", "created_on", "path"}
_EXCLUDED = {"change_log", "access_log"}


def _actor():
    if not has_request_context():
        return None, "system"
    from flask_login import current_user

    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.username
    return None, "anonymous"


def _jsonable(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return "<binary>"
    return v


def _logged(obj) -> bool:
    table = getattr(obj, "__tablename__", None)
    return bool(table) and type(obj).__module__.startswith("portal.") and table not in _EXCLUDED


def _row(obj, action, changes):
    uid, uname = _actor()
    ident = inspect(obj).identity
    oid = ",".join(str(i) for i in ident) if ident else str(getattr(obj, "id", ""))
    try:
        text = str(obj)[:200]
    except Exception:  # repr must never break a write
        text = ""
    return {
        "time": utcnow(),
        "user_id": uid,
        "username": uname,
        "action": action,
        "model": type(obj).__name__,
        "object_id": oid,
        "object_repr": text,
        "changes": json.dumps(changes, ensure_ascii=False) if changes else None,
    }


def _snapshot(obj):
    out = {}
    for col in inspect(obj).mapper.column_attrs:
        key = col.key
        if key in SKIP_COLUMNS:
            continue
        val = getattr(obj, key, None)
        out[key] = "***" if key in SECRET_COLUMNS and val is not None else _jsonable(val)
    return out


def _after_flush(session, flush_context):
    rows = []
    for obj in session.new:
        if _logged(obj):
            rows.append(_row(obj, "create", _snapshot(obj)))
    for obj in session.dirty:
        if not _logged(obj) or not session.is_modified(obj, include_collections=False):
            continue
        changes = {}
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            if attr.key in SKIP_COLUMNS:
                continue
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                if attr.key in SECRET_COLUMNS:
                    old, new = "***", "***"
                changes[attr.key] = [_jsonable(old), _jsonable(new)]
        if changes:
            rows.append(_row(obj, "update", changes))
    for obj in session.deleted:
        if _logged(obj):
            rows.append(_row(obj, "delete", _snapshot(obj)))
    if rows:
        session.connection().execute(insert(ChangeLog), rows)


def log_access(session, obj, fields: list[str]) -> None:
    """Record that the current user saw confidential ``fields`` of ``obj`` (R13)."""
    uid, uname = _actor()
    session.connection().execute(
        insert(AccessLog),
        [{
            "time": utcnow(),
            "user_id": uid,
            "username": uname,
            "model": type(obj).__name__,
            "object_id": str(obj.id),
            "fields": ",".join(fields),
            "path": request.path[:300] if has_request_context() else None,
        }],
    )


def install(session_class=Session) -> None:
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
