"""The migrations build exactly the schema the models declare: ``flask db check`` against the test
database finds nothing to migrate. Run in a process of its own, so the models it sees are those the app
factory imports (``portal.models``), not whatever earlier tests happened to import. On SQLite and on
PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrated_schema_is_the_models_schema(app, tmp_path):
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], PORTAL_INSTANCE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr
