"""What a reader sees of a portal page, minus user data: the text the interface itself speaks.

Used by the page walk (test_i18n_pages.py). Kept out of the text:
- <head>, <script>, <style>, <template>, <noscript> and attribute values (not visible text);
- elements marked as data: class ``portal-data`` (templates mark user-entered text with it);
- elements whose ``lang`` declares another language than the page (e.g. the language switch's
  "中文" on a Mongolian page, the Chinese half of the bilingual header);
- DB rows shown by FAB's widgets: every <td> of a list table (``table-hover``) and of a show table
  (a <table> outside any <form>), <option> texts and <textarea> contents;
- finally every string stored in the database (names, codes, users...), removed wherever it appears,
  so custom pages of other wings need no markup to pass (``strip_db_strings``).
"""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

_SKIP_TAGS = {"head", "script", "style", "template", "noscript", "option", "textarea", "title"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Extractor(HTMLParser):
    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang.lower()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, is_list_table)
        self.chunks: list[str] = []
        self.html_lang = None
        self.form_depth = 0

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _in_table(self) -> tuple[bool, bool]:
        for tag, _skip, is_list in reversed(self.stack):
            if tag == "table":
                return True, is_list
        return False, False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        classes = set(a.get("class", "").split())
        skip = self._skipped() or tag in _SKIP_TAGS or "portal-data" in classes
        lang = a.get("lang", "").lower()
        if lang and tag != "html" and not lang.startswith(self.page_lang.split("-")[0]):
            skip = True
        if tag == "td" and not skip:
            in_table, is_list = self._in_table()
            if in_table and (is_list or self.form_depth == 0):
                skip = True
        if tag == "form":
            self.form_depth += 1
        if not skip:
            # Tooltips, placeholders and button captions are read too.
            for name in ("title", "placeholder", "data-placeholder", "aria-label"):
                if a.get(name, "").strip():
                    self.chunks.append(a[name])
            if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
                self.chunks.append(a["value"])
        if tag in _VOID:
            return
        self.stack.append((tag, skip, tag == "table" and "table-hover" in classes))

    def handle_startendtag(self, tag, attrs):
        if tag == "html":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if tag == "form":
            self.form_depth = max(0, self.form_depth - 1)
        # Tolerate unclosed tags: pop up to the matching one.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.chunks.append(data)
        elif data.strip() in ("True", "False", "None"):
            # Python's own words where a widget printed a value unformatted: never user data.
            self.chunks.append(data)


def page_text(html: str, page_lang: str) -> tuple[str | None, str]:
    """(the <html lang> value, the visible interface text) of a page."""
    p = _Extractor(page_lang)
    p.feed(html)
    p.close()
    return p.html_lang, "\n".join(c.strip() for c in p.chunks)


class DbStrings:
    """Every string value of the database, to subtract user data from a page's text."""

    def __init__(self, values):
        vals = sorted({v.strip() for v in values if v and len(v.strip()) >= 2}, key=len, reverse=True)
        # Latin-script values only as whole words ("Can" must not eat the "Can" of "Cancel");
        # Chinese and Mongolian values anywhere (they are written without spaces around them).
        latin = [v for v in vals if v.isascii()]
        other = [v for v in vals if not v.isascii()]
        # Chinese and Mongolian values first: one may contain a Latin one ("计数网格307fe5-0" holds the
        # user surname "307fe5"), which, taken out first, would leave "计数网格 -0" behind.
        self._patterns = []
        for i in range(0, len(other), 500):  # chunks: one giant alternation compiles slowly
            self._patterns.append(re.compile("|".join(re.escape(v) for v in other[i:i + 500])))
        for i in range(0, len(latin), 500):
            alts = "|".join(re.escape(v) for v in latin[i:i + 500])
            self._patterns.append(re.compile(rf"(?<![A-Za-z0-9_])(?:{alts})(?![A-Za-z0-9_])"))

    def strip(self, text: str) -> str:
        for pat in self._patterns:
            text = pat.sub(" ", text)
        return text


def collect_db_strings(session, metadata) -> DbStrings:
    import sqlalchemy as sa

    values = []
    for table in metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
        if not cols:
            continue
        for row in session.execute(sa.select(*cols)).all():
            for v in row:
                if isinstance(v, str):
                    values.append(v)
                    values.extend(v.split())  # "first last" names are shown joined differently
    return DbStrings(values)


def letters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def mongolian_share(text: str) -> float:
    ls = letters(text)
    if not ls:
        return 1.0
    return sum(1 for ch in ls if 0x1800 <= ord(ch) <= 0x18AF) / len(ls)


def latin_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z']+", text)


def cyrillic(text: str) -> list[str]:
    return [ch for ch in text if 0x0400 <= ord(ch) <= 0x04FF]


def private_use(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Co"]
