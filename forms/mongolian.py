"""Checks for traditional Mongolian text (no WTForms dependency).

Two faults are common in text pasted from older sites and word processors:
Menksoft's private-use encoding, which Unicode fonts cannot show, and an
ordinary space before a case suffix, which makes the suffix render as a free
word. The first is refused; the second is only warned about and fixable.
"""

import re

from flask_babel import lazy_gettext as _l

MENKSOFT_FIRST = 0xE234
MENKSOFT_LAST = 0xE71D
NNBSP = "\u202f"

# Common case suffixes; "ᠯᠤᠭ᠎ᠠ" contains U+180E MONGOLIAN VOWEL SEPARATOR.
CASE_SUFFIXES = (
    "ᠶᠢᠨ", "ᠤᠨ", "ᠦᠨ", "ᠢᠨ", "ᠳᠤ", "ᠳᠦ", "ᠲᠤ", "ᠲᠦ", "ᠶᠢ", "ᠢ",
    "ᠪᠠᠷ", "ᠢᠶᠠᠷ", "ᠡᠴᠡ", "ᠠᠴᠠ", "ᠲᠠᠢ", "ᠲᠡᠢ", "ᠯᠤᠭ\u180eᠠ", "ᠯᠦᠭᠡ",
)

# Letters plus the format characters that may sit inside a word (FVS1-3,
# MVS, FVS4, ZWNJ, ZWJ): a suffix must not be followed by any of them,
# otherwise it is only the start of a longer word.
_WORD_CHAR = "\u1820-\u1878\u1880-\u18aa\u180b-\u180f\u200c\u200d"
# Longest first, so "ᠢᠶᠠᠷ" is reported rather than "ᠢ".
_SUFFIX_ALT = "|".join(re.escape(s) for s in sorted(CASE_SUFFIXES, key=len, reverse=True))
_SPACED_SUFFIX_RE = re.compile(rf"(?<=\S) (?=({_SUFFIX_ALT})(?![{_WORD_CHAR}]))")


def menksoft_positions(text):
    """Return the 0-based positions of Menksoft private-use characters."""
    return [i for i, ch in enumerate(text or "") if MENKSOFT_FIRST <= ord(ch) <= MENKSOFT_LAST]


def suffix_space_warnings(text):
    """Return one message per U+0020 found right before a case suffix."""
    return [
        str(_l(
            "Position %(pos)d: the case suffix \u201c%(suffix)s\u201d follows an ordinary space; "
            "join it with a narrow no-break space (U+202F).",
            pos=m.start() + 1, suffix=m.group(1),
        ))
        for m in _SPACED_SUFFIX_RE.finditer(text or "")
    ]


def fix_suffix_spaces(text):
    """Replace each U+0020 before a case suffix with U+202F."""
    return _SPACED_SUFFIX_RE.sub(NNBSP, text or "")
