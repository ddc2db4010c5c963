"""Mongolian text: Menksoft refused, suffix spaces found and fixed."""

from wtforms import Form, StringField

from forms.validators import MongolianText, fix_suffix_spaces, suffix_space_warnings

NNBSP = "\u202f"


def validate_text(value):
    class F(Form):
        text = StringField(validators=[MongolianText()])

    form = F(data={"text": value})
    return form.validate(), form.text.errors


def test_unicode_mongolian_accepted():
    assert validate_text("ᠠᠣᠬᠠᠨ ᠬᠣᠰᠢᠭᠤ") == (True, [])


def test_menksoft_refused():
    ok, errors = validate_text("ᠠᠣᠬᠠᠨ \ue234\ue71d")
    assert not ok
    message = str(errors[0])
    assert "Menksoft" in message and "Unicode traditional Mongolian" in message
    assert "(2, the first at position 7)" in message


def test_neighbouring_private_use_allowed():
    # Only Menksoft's block is refused, not all private use.
    assert validate_text("\ue233\ue71e")[0]


def test_suffix_warning_and_fix():
    text = "ᠬᠣᠰᠢᠭᠤ ᠶᠢᠨ ᠠᠵᠢᠯ ᠢᠶᠠᠷ ᠰᠤᠷᠭᠠᠭᠤᠯᠢ ᠯᠤᠭ\u180eᠠ"
    warnings = suffix_space_warnings(text)
    assert len(warnings) == 3
    assert "ᠶᠢᠨ" in warnings[0] and "U+202F" in warnings[0]
    assert "ᠢᠶᠠᠷ" in warnings[1]  # the longest suffix is named, not "ᠢ"
    fixed = fix_suffix_spaces(text)
    assert fixed == f"ᠬᠣᠰᠢᠭᠤ{NNBSP}ᠶᠢᠨ ᠠᠵᠢᠯ{NNBSP}ᠢᠶᠠᠷ ᠰᠤᠷᠭᠠᠭᠤᠯᠢ{NNBSP}ᠯᠤᠭ\u180eᠠ"
    assert suffix_space_warnings(fixed) == []


def test_word_starting_like_a_suffix_is_not_flagged():
    # "ᠲᠤᠷ" starts with the suffix "ᠲᠤ" but is a word of its own.
    assert suffix_space_warnings("ᠠᠵᠢᠯ ᠲᠤᠷ") == []
    assert suffix_space_warnings("") == []
