"""Filing a tip-off and checking its status with tracking code + PIN.

The PIN is shown once and stored only as a salted scrypt hash (werkzeug). Wrong PINs are counted per
tracking code in the database (atomic UPDATEs, so the limit holds across gunicorn workers); after
``tipoff_pin_max_attempts`` the code is locked for ``tipoff_pin_cooldown_minutes``, correct PIN or not.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.models import utcnow
from portal.core.settings import get_setting
from portal.reward import photos as photo_store
from portal.reward.crypto import seal
from portal.reward.models import CODE_ALPHABET, CODE_LENGTH, PIN_LENGTH, TipOff, TipOffPhoto
from portal.reward.workflow import record_filed
from portal.security.scope import system_scope


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))


def normalize_code(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def file_tipoff(session, *, what, where_text=None, grid=None, occurred_on=None, anonymous=True,
                name=None, phone=None, contact=None, photo_blobs=(), channel="public", user=None) -> tuple[str, str]:
    """Store a tip-off with its photos; returns (tracking code, PIN). The caller commits."""
    pin = new_pin()
    stored: list[str] = []
    try:
        for blob in photo_blobs:
            stored.append(photo_store.store(blob))
        for _ in range(5):  # a code collision is astronomically rare; retry rather than fail
            code = new_tracking_code()
            tip = TipOff(
                tracking_code=code, pin_hash=generate_password_hash(pin), status="submitted", channel=channel,
                what=what.strip(), where_text=(where_text or "").strip() or None,
                grid_id=grid.id if grid is not None else None, occurred_on=occurred_on, anonymous=bool(anonymous),
            )
            if not anonymous:
                tip.reporter_name_enc = seal(name)
                tip.reporter_phone_enc = seal(phone)
                tip.reporter_contact_enc = seal(contact)
            for n in stored:
                tip.photos.append(TipOffPhoto(step="report", stored_name=n, content_type="image/jpeg",
                                              size=_size(n)))
            try:
                with session.begin_nested():
                    session.add(tip)
                    session.flush()
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover
            raise RuntimeError("could not allocate a tracking code")
        record_filed(session, tip, user)
    except Exception:
        photo_store.remove(stored)
        raise
    return code, pin


def _size(stored_name: str) -> int:
    import os

    return os.path.getsize(photo_store.path_of(stored_name))


class PinResult:
    def __init__(self, tip_id=None, locked_minutes=0):
        self.tip_id = tip_id
        self.locked_minutes = locked_minutes

    @property
    def ok(self) -> bool:
        return self.tip_id is not None


def check_pin(session, code: str, pin: str, now: dt.datetime | None = None) -> PinResult:
    """Return the tip-off id for a right code + PIN; count and lock wrong PINs. Commits its counters."""
    now = now or utcnow()
    code = normalize_code(code)
    pin = (pin or "").strip()
    with system_scope("tip-off status lookup by tracking code"):
        row = session.execute(
            select(TipOff.id, TipOff.pin_hash, TipOff.pin_failures, TipOff.pin_locked_until)
            .where(TipOff.tracking_code == code)
        ).first()
        if row is None:
            # Same work as a wrong PIN, so response time does not tell whether a code exists.
            check_password_hash(_dummy_hash(), pin or "x")
            return PinResult()
        if row.pin_locked_until is not None and row.pin_locked_until > now:
            return PinResult(locked_minutes=_minutes_left(row.pin_locked_until, now))
        if pin and check_password_hash(row.pin_hash, pin):
            if row.pin_failures:
                session.execute(update(TipOff).where(TipOff.id == row.id).values(pin_failures=0, pin_locked_until=None))
                session.commit()
            return PinResult(tip_id=row.id)
        # Atomic increment: concurrent wrong guesses on several workers all count.
        session.execute(update(TipOff).where(TipOff.id == row.id).values(pin_failures=TipOff.pin_failures + 1))
        failures = session.execute(select(TipOff.pin_failures).where(TipOff.id == row.id)).scalar_one()
        locked = 0
        if failures >= int(get_setting("tipoff_pin_max_attempts")):
            minutes = int(get_setting("tipoff_pin_cooldown_minutes"))
            session.execute(update(TipOff).where(TipOff.id == row.id)
                            .values(pin_failures=0, pin_locked_until=now + dt.timedelta(minutes=minutes)))
            locked = minutes
        session.commit()
        return PinResult(locked_minutes=locked)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(generate_password_hash(new_pin()))
    return _DUMMY[0]


def _minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((until - now).total_seconds() // 60) + (1 if (until - now).total_seconds() % 60 else 0))


def status_view(session, tip_id: int) -> dict:
    """What the reporter may read: state, dates, the public reply and the reward decision — nothing internal."""
    from portal.reward.workflow import timeline

    with system_scope("tip-off status page"):
        tip = session.get(TipOff, tip_id)
        events = timeline(session, "TipOff", tip.id)
        claim = tip.claim
        return {
            "code": tip.display_code,
            "status": tip.status,
            "verdict": tip.verdict,
            "filed_on": tip.created_on,
            "public_reply": tip.public_reply,
            "steps": [(e.time, e.to_state) for e in events],
            "claim": None if claim is None else {
                "status": claim.status,
                "amount": claim.amount if claim.status in ("approved", "paid") else None,
                "decided_on": claim.decided_on,
                "paid_on": claim.paid_on,
            },
        }
