"""Chinese identifiers: normalise and check, with no WTForms dependency.

Import code (spreadsheets, CSV) and the WTForms validators share these
functions so a value is judged the same way wherever it enters the portal.
Checksums come from python-stdnum; they are never re-implemented here.
"""

import datetime
import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

# The "+86" prefix is optional; "[3-9]" is a range (not the "[3|4|5]" mistake,
# which would also accept "|").
_MOBILE_RE = re.compile(r"^(?:\+86)?(1[3-9]\d{9})$")

# Area codes of two digits after the 0 (010, 020-029) are the only 3-digit
# ones, so an unseparated number can still be split without guessing.
# Local numbers are 7-8 digits; a leading 0 would be a second area code.
_FIXED_LINE_RE = re.compile(r"^\(?(0(?:10|2\d|[3-9]\d\d))\)?-?([1-9]\d{6,7})$")

# Separators people type or spreadsheets insert; removed before checking.
_SEPARATORS_RE = re.compile(r"[\s\-\u00a0\u3000]")


def _strip(value):
    return _SEPARATORS_RE.sub("", str(value or ""))


def normalize_resident_id(value):
    """Return the 18-character resident ID with an upper-case X, or None.

    stdnum checks length, digits, the check character, the birth date and
    the area code; we also refuse a birth date in the future.
    """
    try:
        number = ric.validate(_strip(value).upper())
    except StdnumError:
        return None
    if ric.get_birth_date(number) > datetime.date.today():
        return None
    return number


def normalize_credit_code(value):
    """Return the 18-character unified social credit code, or None."""
    try:
        return uscc.validate(_strip(value).upper())
    except StdnumError:
        return None


def normalize_mobile(value):
    """Return the 11-digit mainland mobile number (no +86), or None."""
    match = _MOBILE_RE.match(_strip(value))
    return match.group(1) if match else None


def normalize_fixed_line(value):
    """Return a fixed-line number as "0476-1234567", or None."""
    match = _FIXED_LINE_RE.match(re.sub(r"[\s\u00a0\u3000]", "", str(value or "")))
    return f"{match.group(1)}-{match.group(2)}" if match else None
