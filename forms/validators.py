"""WTForms validators for identifiers and Mongolian text.

Each validator stores the normalised value back into ``field.data`` so the
view saves one canonical form (upper-case X, 11-digit mobile, ...). Messages
state the rule, not just "invalid", so a grid worker can correct the entry.
"""

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from .identifiers import (  # noqa: F401  (re-exported for import code)
    normalize_credit_code,
    normalize_fixed_line,
    normalize_mobile,
    normalize_resident_id,
)
from .mongolian import (  # noqa: F401  (re-exported)
    fix_suffix_spaces,
    menksoft_positions,
    suffix_space_warnings,
)


class _Normalising:
    """Validate with ``normalize`` and store its result in the field."""

    normalize = None
    default_message = None
    skip_empty = False

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if self.skip_empty and not (field.data or "").strip():
            field.data = ""
            return
        value = type(self).normalize(field.data)
        if value is None:
            raise ValidationError(self.message or self.default_message)
        field.data = value


class ResidentId(_Normalising):
    """居民身份证号 (GB 11643-1999)."""

    normalize = staticmethod(normalize_resident_id)
    default_message = _l(
        "Invalid resident ID number: 18 characters, the last is a check digit or X, "
        "with a real birth date."
    )


class CreditCode(_Normalising):
    """统一社会信用代码 (GB 32100-2015); small shops often have none."""

    normalize = staticmethod(normalize_credit_code)
    skip_empty = True
    default_message = _l(
        "Invalid unified social credit code: 18 digits or capital letters "
        "(no I, O, S, V or Z), the last is a check character."
    )


class Mobile(_Normalising):
    normalize = staticmethod(normalize_mobile)
    default_message = _l(
        "Invalid mobile number: 11 digits starting with 13-19, optionally preceded by +86."
    )


class FixedLine(_Normalising):
    normalize = staticmethod(normalize_fixed_line)
    default_message = _l(
        "Invalid fixed-line number: area code and 7-8 digit number, e.g. 0476-1234567."
    )


class MongolianText:
    """Refuse Menksoft private-use characters (U+E234-U+E71D)."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        positions = menksoft_positions(field.data or "")
        if positions:
            raise ValidationError(self.message or _l(
                "The text contains characters in Menksoft's old private encoding "
                "(%(count)d, the first at position %(pos)d), which cannot be displayed. "
                "Enter it as Unicode traditional Mongolian.",
                count=len(positions), pos=positions[0] + 1,
            ))
