"""Migration 0010 keeps every counter: existing rows become shard 0, and going back sums the shards."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys


def _flask(db_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}"}
    env.pop("TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", *args], env=env, check=True,
                   capture_output=True)


def test_counters_survive_the_shard_migration_both_ways(tmp_path):
    db_path = tmp_path / "m.db"
    _flask(db_path, "upgrade", "0009_job_heartbeat")
    with sqlite3.connect(db_path) as conn:
        conn.executemany("INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, n) "
                         "VALUES (1, 1, ?, ?, ?, ?)", [(7, "", "", 5), (7, "q", '"a"', 3), (0, "", "", 2)])
    _flask(db_path, "upgrade")
    with sqlite3.connect(db_path) as conn:
        rows = sorted(conn.execute("SELECT grid_id, question, value, shard, n FROM survey_answer_count"))
        assert rows == [(0, "", "", 0, 2), (7, "", "", 0, 5), (7, "q", '"a"', 0, 3)]
        conn.execute("INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, "
                     "shard, n) VALUES (1, 1, 7, '', '', 3, 4)")  # the same counter in another shard
    _flask(db_path, "downgrade", "0009_job_heartbeat")
    with sqlite3.connect(db_path) as conn:
        rows = sorted(conn.execute("SELECT grid_id, question, value, n FROM survey_answer_count"))
    assert rows == [(0, "", "", 2), (7, "", "", 9), (7, "q", '"a"', 3)]
