"""Check that a catalog's Mongolian text can be drawn by the font the portal serves.

    from translations.fab.font_check import missing_codepoints
    assert missing_codepoints("translations/mn_Mong_CN/LC_MESSAGES/messages.po",
                              "portal/static/fonts/noto-sans-mongolian-mongolian-400-normal.woff2") == set()

Command line:  python translations/fab/font_check.py PO_FILE FONT_FILE   (exit 1 if something is missing)

Needs ``fonttools`` and, for .woff2, ``brotli`` (pip install fonttools brotli).

Only the characters that the Mongolian face is responsible for are checked: everything in the
Mongolian blocks (U+1800-18AF, U+11660-1167F), the joiners and the Mongolian spaces
(U+180E, U+200C, U+200D, U+202F) and any letter or mark of another script that appears in a
msgstr. Ignored: ASCII, placeholders such as ``%(name)s``/``{0}``, whitespace, punctuation and
symbols (the CSS stack falls back to the CJK / system font for those), digits, and msgstrs of
header, obsolete or fuzzy entries. CJK ideographs and Latin letters are *reported* because a
Mongolian catalog should not contain them (they would be drawn by a fallback font, a sign of an
untranslated or mixed string).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[^{}]*\}")
# Code points the Mongolian font must have even though Unicode does not class them as letters.
_ALWAYS = {0x180B, 0x180C, 0x180D, 0x180E, 0x180F, 0x200C, 0x200D, 0x202F}


def _relevant(cp: int) -> bool:
    if cp < 0x80:  # ASCII: placeholders, digits, Latin punctuation
        return False
    if cp in _ALWAYS or 0x1800 <= cp <= 0x18AF or 0x11660 <= cp <= 0x1167F:
        return True
    cat = unicodedata.category(chr(cp))
    # Letters and combining marks of any other script are relevant; punctuation (P*), symbols (S*),
    # separators (Z*), digits (N*) and controls/format characters (C*) are not.
    return cat[0] in ("L", "M")


def _msgstrs(po_path: str):
    try:
        import polib  # optional, nicer parser
    except ImportError:  # pragma: no cover - fall back on Babel, which FAB depends on
        polib = None
    if polib is not None:
        for entry in polib.pofile(po_path):
            if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
                continue
            if entry.msgstr:
                yield entry.msgstr
            for text in entry.msgstr_plural.values():
                yield text
        return
    from babel.messages.pofile import read_po

    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for text in strings:
            if text:
                yield text


@lru_cache(maxsize=8)
def _cmap(font_path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # woff2 needs the brotli module

    font = TTFont(font_path, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def used_codepoints(po_path: str) -> set[int]:
    """Relevant code points used in the catalog's translations (see module docstring)."""
    used: set[int] = set()
    for text in _msgstrs(po_path):
        text = _PLACEHOLDER.sub("", text)
        used.update(ord(ch) for ch in text if _relevant(ord(ch)))
    return used


def missing_codepoints(po_path: str, font_path: str) -> set[int]:
    """Code points of the catalog's Mongolian msgstrs that the font's cmap lacks."""
    return used_codepoints(po_path) - _cmap(font_path)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0])
        print("usage: font_check.py PO_FILE FONT_FILE")
        return 2
    missing = missing_codepoints(argv[1], argv[2])
    for cp in sorted(missing):
        print(f"U+{cp:04X} {unicodedata.name(chr(cp), '?')}")
    print(f"{len(used_codepoints(argv[1]))} code points checked, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
