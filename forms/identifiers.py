"""Chinese identifiers: normalise and check, with no WTForms dependency.

Import code (spreadsheets, CSV) and the WTForms validators share these
functions so a value is judged the same way wherever it enters the portal.
Checksums come from python-stdnum; they are never re-implemented here.
"""

import datetime
import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent
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
    candidate = _strip(value).upper()
    try:
        number = ric.validate(candidate)
    except InvalidComponent:
        # stdnum also requires the area code to have existed in the birth year, but an ID number
        # carries the code of the place that issued it: Aohan's 150430 dates from 1983, so everyone
        # born there earlier would be refused. Keep the checksum and birth-date checks, and ask only
        # that the province part is a real one.
        number = _ric_without_birth_place(candidate)
        if number is None:
            return None
    except StdnumError:
        return None
    if ric.get_birth_date(number) > datetime.date.today():
        return None
    return number


_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}


def _ric_without_birth_place(number):
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
        return None
    if number[-1] != ric.calc_check_digit(number):
        return None
    try:
        ric.get_birth_date(number)
    except StdnumError:
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
