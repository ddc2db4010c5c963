"""Storing one anonymous answer sheet: idempotent, one per device, nothing half-written."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from flask import current_app
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from forms import score
from portal.core.models import utcnow
from portal.security.scope import check_writes
from surveys import counts
from surveys.models import KNOWS_WORKER_KEY, DeviceToken, Response

KEY_RE = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    return secrets.token_hex(16)


def _keyed_hash(text: str) -> str:
    """HMAC-SHA256 of ``text`` with the server's secret (hex)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def device_hash(campaign_id: int, token: str) -> str:
    """Keyed hash, so the table cannot be matched against cookies without the server's secret."""
    return _keyed_hash(f"survey-device:{campaign_id}:{token}")


def form_token(campaign_id: int, device: str, key: str, issued: int | None = None) -> str:
    """The questionnaire's anti-forgery token: "<issued>.<mac>", a keyed hash of the campaign, the
    device cookie and the idempotency key the page was served with.

    It replaces the session's CSRF token on public questionnaires. A forged cross-site POST cannot
    carry the device cookie (SameSite=Lax), so it cannot carry a matching token either — what the
    session-bound CSRF token guaranteed — and checking it is one HMAC instead of opening a signed
    session and checking a second signature in it (about a tenth of an answer's cost, docs/scaling.md,
    eighth round). Binding the key means each token can store at most one answer."""
    issued = int(time.time()) if issued is None else int(issued)
    return f"{issued}.{_keyed_hash(f'survey-form:{campaign_id}:{device}:{key}:{issued}')[:32]}"


def form_token_ok(token: str | None, campaign_id: int, device: str | None, key: str | None) -> bool:
    """Whether ``token`` was issued by this server for this campaign, device cookie and key, and is
    not older than ``SURVEY_FORM_MAX_AGE`` seconds (0: no limit)."""
    if not token or not device or not key or len(token) > 64:
        return False
    issued, _, _mac = token.partition(".")
    if not issued.isdigit():
        return False
    max_age = int(current_app.config.get("SURVEY_FORM_MAX_AGE") or 0)
    if max_age and time.time() - int(issued) > max_age:
        return False
    return hmac.compare_digest(token, form_token(campaign_id, device, key, int(issued)))


def find_by_key(session, key: str | None):
    """The response stored under an idempotency key. Public visitors cannot read responses, so this
    one exact-key lookup deliberately skips the data scope."""
    if not key or not KEY_RE.match(key):
        return None
    return session.execute(
        select(Response).where(Response.idempotency_key == key).execution_options(skip_scope=True)
    ).scalars().first()


def device_used(session, campaign_id: int, token: str | None) -> bool:
    if not token:
        return False
    return session.get(DeviceToken, (campaign_id, device_hash(campaign_id, token))) is not None


def build_response(campaign_id: int, version_id: int, schema, answers: dict, grid_id, key: str) -> Response:
    correct, knowledge = score(schema, answers)
    knows = answers.get(KNOWS_WORKER_KEY)
    return Response(
        campaign_id=campaign_id, form_version_id=version_id, grid_id=grid_id, submitted_at=utcnow(),
        answers_json=answers, correct_count=correct, knowledge_count=knowledge,
        knows_worker=knows if isinstance(knows, bool) else None, idempotency_key=key,
    )


_RESPONSE_COLUMNS = ("campaign_id", "form_version_id", "grid_id", "submitted_at", "answers_json", "correct_count",
                     "knowledge_count", "knows_worker", "idempotency_key")


def store(session, campaign, schema, answers: dict, grid_id, key: str, token: str | None):
    """Insert the response, the device mark and the answer's counters in one transaction.

    ``campaign`` needs ``id`` and ``form_version_id``; ``answers`` come from ``forms.answers_from_form``.
    Core statements on the session's connection instead of an ORM flush — three, or on PostgreSQL one
    (``_combined_insert``): the flush's unit of work cost ~1 ms per answer, and on SQLite every writer
    holds the database's write lock for as long as its transaction lasts, so everything is computed
    before the first INSERT. What the flush would check
    still holds: the data-scope write rule (``check_writes``, on the response as an unsaved instance),
    the unique idempotency key, the device mark's primary key, and the counters (``surveys.counts``)
    commit or roll back with the answer.

    Returns ("stored", None), ("duplicate", response) for a retry with the same key, or ("device", None)
    when this device already answered (a race lost on the device table).
    """
    response = build_response(campaign.id, campaign.form_version_id, schema, answers, grid_id, key)
    check_writes(session, [response])
    row = {c: getattr(response, c) for c in _RESPONSE_COLUMNS}
    fields = counts.layout(schema)
    device = {"campaign_id": campaign.id, "token_hash": device_hash(campaign.id, token)} if token else None
    connection = session.connection()
    shard = counts.shard_for(key)
    postgresql = connection.dialect.name == "postgresql"
    sheet = counts.sheet_arrays(campaign.id, campaign.form_version_id, grid_id, fields, answers, shard) \
        if postgresql else None
    try:
        if sheet is not None:
            # One statement, one round trip: the device mark and the sheet as data-modifying CTEs of
            # the counters' upsert. PostgreSQL runs each exactly once, all or nothing, and a duplicate
            # key or device mark fails the statement as the separate INSERTs would.
            params = {**sheet, **{f"r_{c}": v for c, v in row.items()}}
            if device is not None:
                params["d_token_hash"] = device["token_hash"]
            connection.execute(_combined_insert(device is not None), params)
        else:
            if device is not None:
                connection.execute(_DEVICE_INSERT, device)
            connection.execute(_RESPONSE_INSERT, row)
            counts.add_sheet(connection, campaign.id, campaign.form_version_id, grid_id, fields, answers, shard)
        session.commit()
    except IntegrityError:
        session.rollback()
        earlier = find_by_key(session, key)
        if earlier is not None:
            return "duplicate", earlier
        return "device", None
    return "stored", None


_combined: dict[bool, object] = {}


def _combined_insert(with_device: bool):
    """The device mark, the answer sheet and its counters (``counts.SHEET_UPSERT_ARRAYS_SQL``) as one
    PostgreSQL statement. The counters' ``campaign_id`` and ``form_version_id`` parameters serve all
    three; the sheet's own values are ``r_<column>``, the device's hash ``d_token_hash``. Two texts in
    all (with and without a device), each kept parsed by psycopg and prepared on every connection."""
    stmt = _combined.get(with_device)
    if stmt is None:
        ctes = []
        if with_device:
            ctes.append(f"d AS (INSERT INTO {DeviceToken.__tablename__} (campaign_id, token_hash) "
                        "VALUES (:campaign_id, :d_token_hash))")
        ctes.append(f"r AS (INSERT INTO {Response.__tablename__} ({', '.join(_RESPONSE_COLUMNS)}) "
                    f"VALUES ({', '.join(':r_' + c for c in _RESPONSE_COLUMNS)}))")
        types = [bindparam(f"r_{c}", type_=Response.__table__.c[c].type) for c in _RESPONSE_COLUMNS]
        stmt = _combined[with_device] = text(
            f"WITH {', '.join(ctes)} {counts.SHEET_UPSERT_ARRAYS_SQL}").bindparams(*types)
    return stmt


_DEVICE_INSERT = DeviceToken.__table__.insert()
_RESPONSE_INSERT = Response.__table__.insert()
