"""Identifier validators: checksums come from python-stdnum."""

import pytest
from stdnum.cn import ric, uscc
from wtforms import Form, StringField

from forms.validators import (
    CreditCode, FixedLine, Mobile, ResidentId, normalize_credit_code, normalize_fixed_line,
    normalize_mobile, normalize_resident_id,
)


def make_ric(base17):
    # calc_check_digit ignores the last character of what it is given.
    return base17 + ric.calc_check_digit(base17 + "0")


def make_uscc(base17):
    return base17 + uscc.calc_check_digit(base17)


VALID_RIC = make_ric("15043019900101001")  # Aohan Banner, born 1990-01-01
VALID_USCC = make_uscc("91150430MA0N1234A")


def ric_with_x():
    for seq in range(1000):
        number = make_ric(f"15043019850615{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


def run(validator, value):
    class F(Form):
        value_field = StringField(validators=[validator])

    form = F(data={"value_field": value})
    return form.validate(), form.value_field


def wrong_check(number):
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


class TestResidentId:
    def test_valid(self):
        assert normalize_resident_id(VALID_RIC) == VALID_RIC

    def test_lower_case_x_normalised(self):
        number = ric_with_x()
        ok, field = run(ResidentId(), number.lower())
        assert ok and field.data == number

    @pytest.mark.parametrize("bad", [
        wrong_check(VALID_RIC),
        make_ric("15043019990230001"),   # 30 February
        make_ric("15043030000101001"),   # born in the future
        VALID_RIC[:-1],                  # 17 characters
        "",
    ])
    def test_invalid(self, bad):
        assert normalize_resident_id(bad) is None
        ok, field = run(ResidentId(), bad)
        assert not ok
        assert "18 characters, the last is a check digit or X" in str(field.errors[0])


class TestCreditCode:
    def test_valid(self):
        ok, field = run(CreditCode(), " " + VALID_USCC.lower() + " ")
        assert ok and field.data == VALID_USCC

    def test_empty_is_allowed(self):
        ok, field = run(CreditCode(), "")
        assert ok and field.data == ""

    @pytest.mark.parametrize("letter", list("IOSVZ"))
    def test_forbidden_letters(self, letter):
        # Even with an otherwise "correct" length, these letters are refused.
        bad = VALID_USCC[:10] + letter + VALID_USCC[11:]
        assert normalize_credit_code(bad) is None

    def test_wrong_check_and_message(self):
        ok, field = run(CreditCode(), wrong_check(VALID_USCC))
        assert not ok
        assert "no I, O, S, V or Z" in str(field.errors[0])


class TestPhones:
    @pytest.mark.parametrize("value", ["13812345678", "+8613812345678", "138 1234 5678",
                                       "199-1234-5678"])
    def test_mobile_valid(self, value):
        ok, field = run(Mobile(), value)
        assert ok and field.data == value.replace(" ", "").replace("-", "")[-11:]

    @pytest.mark.parametrize("value", [
        "12345678901",       # second digit 2 is no mobile prefix
        "1|345678901",       # "|" would pass a "[3|4|5]" character class
        "138123456789",      # 12 digits
        "1381234567",        # 10 digits
        "8613812345678",     # country code without +
        "",
    ])
    def test_mobile_invalid(self, value):
        assert normalize_mobile(value) is None
        ok, field = run(Mobile(), value)
        assert not ok and "11 digits starting with 13-19" in str(field.errors[0])

    @pytest.mark.parametrize("value,expected", [
        ("0476-1234567", "0476-1234567"),
        ("04768123456", "0476-8123456"),
        ("(0476) 8123456", "0476-8123456"),
        ("010-62345678", "010-62345678"),
        ("0471-61234567", "0471-61234567"),
    ])
    def test_fixed_line_valid(self, value, expected):
        assert normalize_fixed_line(value) == expected
        ok, field = run(FixedLine(), value)
        assert ok and field.data == expected

    @pytest.mark.parametrize("value", ["1234567", "0476-123456", "0476-123456789",
                                       "0476-0123456", "13812345678"])
    def test_fixed_line_invalid(self, value):
        ok, field = run(FixedLine(), value)
        assert not ok and "0476-1234567" in str(field.errors[0])


def test_resident_born_before_area_code_existed_is_accepted():
    """An Aohan resident born in 1970 carries 150430 (issued later), though the code dates from 1983."""
    from stdnum.cn import ric as _ric

    from forms.identifiers import normalize_resident_id

    body = "15043019700105142"
    number = body + _ric.calc_check_digit(body + "0")
    assert normalize_resident_id(number) == number
    wrong = body + ("1" if number[-1] != "1" else "2")
    assert normalize_resident_id(wrong) is None  # the checksum still counts
    assert normalize_resident_id("99" + number[2:]) is None  # not a province
    feb30 = "15043019700230142"
    assert normalize_resident_id(feb30 + _ric.calc_check_digit(feb30 + "0")) is None  # 30 February
