"""Sealing the reporter's identity at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Key: env ``PORTAL_SEAL_KEY`` (one key, or several comma-separated for rotation: the first seals,
all unseal). Without it, a key file ``instance/seal_key`` is generated once with a logged warning —
fine for a single machine, but the key must then be backed up apart from the database, or sealed
identities are lost with it.
"""
from __future__ import annotations

import logging
import os
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

log = logging.getLogger("portal.reward.crypto")
_lock = threading.Lock()
_file_keys: dict[str, bytes] = {}


def _instance_key() -> bytes:
    path = os.path.join(current_app.instance_path, "seal_key")
    with _lock:
        if path in _file_keys:
            return _file_keys[path]
        if not os.path.exists(path):
            os.makedirs(current_app.instance_path, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
            log.warning("PORTAL_SEAL_KEY is not set: generated %s; back it up apart from the database", path)
        with open(path, "rb") as fh:
            key = fh.read().strip()
        _file_keys[path] = key
        return key


def _fernet() -> MultiFernet:
    raw = os.environ.get("PORTAL_SEAL_KEY") or current_app.config.get("PORTAL_SEAL_KEY")
    keys = [k.strip().encode() for k in raw.split(",") if k.strip()] if raw else [_instance_key()]
    return MultiFernet([Fernet(k) for k in keys])


def seal(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # Wrong or rotated-away key: say so instead of failing the page.
        log.error("a sealed identity could not be opened with the configured key(s)")
        return None
