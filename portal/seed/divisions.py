"""The banner and its level-2 divisions, from the project's own seed file (NBS 2022 codes)."""
from __future__ import annotations

import csv
from pathlib import Path

from portal.grid.models import LEVEL_OF_KIND, Grid

SEED = Path(__file__).with_name("divisions.csv")


def load_divisions(session, path: Path = SEED) -> tuple[int, int]:
    """Insert missing divisions keyed by code; returns (added, existing). Idempotent."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {g.code: g for g in session.query(Grid).filter(Grid.code.in_([r["code"] for r in rows]))}
    added = 0
    root = None
    for r in rows:
        grid = by_code.get(r["code"])
        level = LEVEL_OF_KIND[r["kind"]]
        if grid is None:
            grid = Grid(
                code=r["code"], code_year=int(r["code_year"]), name_zh=r["name_zh"], kind=r["kind"], level=level,
                parent=None if level == 1 else root, active=True,
            )
            session.add(grid)
            session.flush()
            added += 1
        if level == 1:
            root = grid
    return added, len(rows) - added
