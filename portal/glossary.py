"""The terminology glossary (translations/glossary.csv) as an admin page.

The Mongolian terms are drafts until the banner's Mongolian-language office approves them; the page
shows each term's review status so nobody mistakes a draft for an approved term. Read-only: the CSV
is the source (reviewed like code); the catalogs must use its terms (tests/i18n/test_glossary.py).
"""
from __future__ import annotations

import csv
import os

from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

GLOSSARY_CSV = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations", "glossary.csv")

STATUS_LABELS = {"draft": _l("Draft"), "reviewed": _l("Reviewed"), "approved": _l("Approved")}


def read_glossary(path: str = GLOSSARY_CSV) -> list[dict]:
    """Rows of the glossary: zh, mn, en, status, note (status lower-cased, blanks stripped)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = []
        for row in csv.DictReader(fh):
            row = {k: (v or "").strip() for k, v in row.items()}
            row["status"] = row.get("status", "").lower() or "draft"
            rows.append(row)
    return rows


class GlossaryView(BaseView):
    route_base = "/glossary"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self):
        rows = read_glossary()
        counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_LABELS}
        return self.render_template(
            "portal/glossary.html", rows=rows, counts=counts, status_labels=STATUS_LABELS,
            title=_l("Glossary"),
        )


def register_views(appbuilder) -> None:
    appbuilder.add_view(GlossaryView, "Glossary", label=_l("Glossary"), icon="fa-book", category="Security")
