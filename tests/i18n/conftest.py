"""i18n test fixtures: compiled catalogs, and the page walk's list of pages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
LOCALES = ("zh", "mn_Mong_CN")


def pytest_configure(config):
    # The .mo files are build products (gitignored): compile the catalogs if they are missing or
    # older than the .po, before the session app loads them.
    for loc in LOCALES:
        po = ROOT / "translations" / loc / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            subprocess.run(
                [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(ROOT / "translations"), "-l", loc, "-f"],
                check=True, capture_output=True,
            )
