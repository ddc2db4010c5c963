"""Photos of tip-offs: images only, size-limited, re-encoded.

The type is decided by the file's first bytes (magic numbers), never by its name or the browser's
Content-Type, then Pillow must decode it. Re-encoding to JPEG drops EXIF (GPS position, camera owner):
a photo must not unseal the reporter.
"""
from __future__ import annotations

import io
import os
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_EDGE = 2560
MAX_PIXELS = 50_000_000  # refuse decompression bombs before decoding


class PhotoError(ValueError):
    """A refused upload; ``str(e)`` is a translated message."""


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def read_uploads(files, max_bytes: int, max_count: int) -> list[bytes]:
    """Validate every upload first (nothing is stored if one is refused); returns clean JPEG bytes."""
    files = [f for f in files or [] if f and getattr(f, "filename", "")]
    if len(files) > max_count:
        raise PhotoError(str(_l("At most %(n)s photos", n=max_count)))
    out = []
    for f in files:
        data = f.stream.read(max_bytes + 1)
        name = os.path.basename(f.filename)[:60]
        if len(data) > max_bytes:
            raise PhotoError(str(_l("%(name)s is larger than %(mb)s MB", name=name, mb=round(max_bytes / 1048576, 1))))
        if sniff(data[:16]) is None:
            raise PhotoError(str(_l("%(name)s is not a photo (JPG, PNG, GIF or WebP)", name=name)))
        out.append(_reencode(data, name))
    return out


def _reencode(data: bytes, name: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(str(_l("%(name)s is too large an image", name=name)))
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            img.thumbnail((MAX_EDGE, MAX_EDGE))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=85, optimize=True)
            return buf.getvalue()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(str(_l("%(name)s is not a photo (JPG, PNG, GIF or WebP)", name=name)))


def folder(kind: str = "tipoff") -> str:
    path = os.path.join(current_app.config.get("UPLOAD_FOLDER") or current_app.instance_path, kind)
    os.makedirs(path, exist_ok=True)
    return path


def store(blob: bytes, kind: str = "tipoff") -> str:
    """Write one clean JPEG; returns its stored name (random, so names reveal nothing)."""
    name = f"{secrets.token_hex(16)}.jpg"
    with open(os.path.join(folder(kind), name), "wb") as fh:
        fh.write(blob)
    return name


def remove(names) -> None:
    for n in names:
        try:
            os.unlink(os.path.join(folder(), n))
        except OSError:
            pass


def path_of(stored_name: str, kind: str = "tipoff") -> str:
    return os.path.join(folder(kind), os.path.basename(stored_name))
