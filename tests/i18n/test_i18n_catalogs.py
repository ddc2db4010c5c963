"""The catalogs: complete, well-formed, Mongolian in the right script and drawable by the font."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = {loc: ROOT / "translations" / loc / "LC_MESSAGES" / "messages.po" for loc in ("zh", "mn_Mong_CN")}
FONT = ROOT / "portal" / "static" / "fonts" / "noto-sans-mongolian-mongolian-400-normal.woff2"
PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{[^{}]*\}")
# Latin letters allowed in Mongolian msgstrs: protocol and format names, datepicker tokens.
LATIN_OK = {"LDAP", "OID", "yyyy", "MM", "JPG", "PNG", "WebP", "GIF", "HEIC", "Unicode", "U", "GB", "T", "X",
            "I", "O", "S", "V", "Z", "F", "show", "if", "field", "equals"}  # F: "U+202F"


def _messages(loc):
    with open(CATALOGS[loc], "rb") as fh:
        return [m for m in read_po(fh) if m.id]


@pytest.mark.parametrize("loc", sorted(CATALOGS))
def test_msgfmt_statistics_complete(loc):
    if not shutil.which("msgfmt"):
        pytest.skip("GNU gettext (msgfmt) is not installed")
    r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGS[loc])],
                       capture_output=True, text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    stats = r.stderr.strip()
    assert re.fullmatch(r"\d+ translated messages\.", stats), stats  # no untranslated, no fuzzy
    assert int(stats.split()[0]) >= 400


@pytest.mark.parametrize("loc", sorted(CATALOGS))
def test_placeholders_identical(loc):
    bad = []
    for m in _messages(loc):
        ids = m.id if isinstance(m.id, (list, tuple)) else [m.id]
        strs = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        want = sorted(PLACEHOLDER.findall(ids[0]))
        for s in strs:
            if sorted(PLACEHOLDER.findall(s)) != want:
                bad.append((m.id, s))
    assert not bad


def test_mongolian_catalog_script():
    problems = []
    for m in _messages("mn_Mong_CN"):
        s = m.string if isinstance(m.string, str) else " ".join(m.string)
        text = PLACEHOLDER.sub("", s)
        if any(0x0400 <= ord(c) <= 0x04FF for c in text):
            problems.append(("cyrillic", m.id))
        if any(unicodedata.category(c) == "Co" for c in text):
            problems.append(("private use", m.id))
        if any(0x4E00 <= ord(c) <= 0x9FFF for c in text):
            problems.append(("chinese", m.id))
        latin = set(re.findall(r"[A-Za-z]+", text)) - LATIN_OK
        if latin:
            problems.append(("latin", m.id, sorted(latin)))
        letters = [c for c in text if unicodedata.category(c).startswith("L")]
        if letters and not any(0x1820 <= ord(c) <= 0x18AF for c in letters) and m.id not in ("MM yyyy",):
            problems.append(("no Mongolian letter", m.id))
    assert not problems


def test_mongolian_case_suffixes_joined_with_nnbsp():
    from forms.mongolian import _SPACED_SUFFIX_RE

    spaced = [(m.id, m.string) for m in _messages("mn_Mong_CN")
              if isinstance(m.string, str) and _SPACED_SUFFIX_RE.search(m.string)]
    assert not spaced
    assert sum(m.string.count("\u202f") for m in _messages("mn_Mong_CN") if isinstance(m.string, str)) > 100


def test_every_mongolian_code_point_is_in_the_served_font():
    pytest.importorskip("fontTools")
    sys.path.insert(0, str(ROOT / "translations" / "fab"))
    from font_check import missing_codepoints, used_codepoints

    assert len(used_codepoints(str(CATALOGS["mn_Mong_CN"]))) > 30
    assert missing_codepoints(str(CATALOGS["mn_Mong_CN"]), str(FONT)) == set()


def test_no_cyrillic_fallback_catalog():
    # gettext falls back from mn_Mong_CN to mn: a translations/mn/ would leak Cyrillic.
    assert not (ROOT / "translations" / "mn").exists()


def test_untranslated_helper_reports_nothing():
    r = subprocess.run([sys.executable, str(ROOT / "translations" / "tools" / "untranslated.py"), "--count",
                        *map(str, CATALOGS.values())], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert r.stdout.count(": 0 untranslated") == 2


def test_build_merges_other_areas_parts(tmp_path):
    """build.sh: a translation in translations/parts/<area>/<loc>.po reaches the catalog."""
    for tool in ("msgcat", "msgmerge", "msgfmt"):
        if not shutil.which(tool):
            pytest.skip("GNU gettext is not installed")
    pybabel = Path(sys.executable).with_name("pybabel")
    repo = tmp_path / "repo"
    (repo / "portal").mkdir(parents=True)
    (repo / "portal" / "demo.py").write_text('from flask_babel import lazy_gettext as _l\nX = _l("Area demo string")\n')
    shutil.copy(ROOT / "babel.cfg", repo / "babel.cfg")
    shutil.copytree(ROOT / "translations" / "fab", repo / "translations" / "fab")
    shutil.copy(ROOT / "translations" / "build.sh", repo / "translations" / "build.sh")
    for loc in CATALOGS:
        part = repo / "translations" / "parts" / "demo" / f"{loc}.po"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(
            'msgid ""\nmsgstr ""\n"Language: %s\\n"\n"MIME-Version: 1.0\\n"\n'
            '"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
            'msgid "Area demo string"\nmsgstr "PART %s"\n' % (loc, loc), encoding="utf-8")
    r = subprocess.run(["bash", str(repo / "translations" / "build.sh")], capture_output=True, text=True,
                       env={"PYBABEL": str(pybabel), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
    assert r.returncode == 0, r.stderr
    for loc in CATALOGS:
        po = (repo / "translations" / loc / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        assert f'msgid "Area demo string"\nmsgstr "PART {loc}"' in po
