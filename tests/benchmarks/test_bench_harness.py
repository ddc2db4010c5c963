"""The benchmark harness itself: the registry, and the public-submission load harness against the tiny
endpoint of baseline (e) (served in a thread, a few clients for a second: bounded, loopback only)."""
from __future__ import annotations

import secrets
import threading

import pytest
from werkzeug.serving import make_server


def test_registry_lists_the_benchmarks():
    import importlib

    from benchmarks.__main__ import MODULES
    from benchmarks.registry import BENCHMARKS

    for m in MODULES:
        importlib.import_module(m)
    assert {"unit_list", "statement_counts", "unit_export", "public_submission", "survey_stats"} <= set(BENCHMARKS)


def test_ratio_and_stats():
    from benchmarks.registry import ratio, stats

    m = stats([0.010, 0.030, 0.020])
    assert m["median_ms"] == 20.0 and m["runs"] == 3
    assert ratio({"median_ms": 30.0}, {"median_ms": 10.0}) == 3.0
    assert ratio({"median_ms": 30.0}, {"median_ms": 0}) is None


def test_load_harness_stores_every_acknowledged_submission(tmp_path):
    from benchmarks import baselines
    from benchmarks.load import run_load

    url = f"sqlite:///{tmp_path}/submissions.db"
    baselines.prepare_submissions(url)
    server = make_server("127.0.0.1", 0, baselines.submission_app(url), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_load(f"http://127.0.0.1:{server.server_port}/submit",
                          lambda c, s: {"client": f"c{c}", "answer": f"答卷{s}"},
                          concurrency=5, duration=1.0, max_requests=300)
    finally:
        server.shutdown()
    assert result["error_count"] == 0, result["errors"]
    assert 0 < result["acknowledged"] <= 300
    assert baselines.count_submissions(url) == result["acknowledged"]


def test_load_harness_refuses_other_hosts():
    from benchmarks.load import run_load

    with pytest.raises(ValueError):
        run_load("http://192.0.2.1/submit", lambda c, s: {}, concurrency=1, duration=0.1)


def test_server_cpu_is_read_for_the_whole_process_group():
    """``server_cpu_ms`` sums a gunicorn master and its workers: here a process group whose leader
    burns CPU in a child it has reaped, and then some of its own."""
    import os
    import subprocess
    import sys

    from benchmarks.servers import group_cpu_seconds

    if not os.path.isdir("/proc"):
        pytest.skip("no /proc")
    burn = "import time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass\n"
    code = (f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}])\n{burn}"
            "print('done', flush=True)\nsys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        assert proc.stdout.readline().strip() == "done"
        assert group_cpu_seconds(proc.pid) >= 0.55  # 0.3 s in the reaped child + 0.3 s in the leader
    finally:
        proc.stdin.close()
        proc.wait(10)
    assert group_cpu_seconds(proc.pid) == 0  # gone: nothing left in the group


def test_on_window_brackets_the_timed_window(tmp_path):
    from benchmarks import baselines
    from benchmarks.load import run_load

    url = f"sqlite:///{tmp_path}/submissions.db"
    baselines.prepare_submissions(url)
    server = make_server("127.0.0.1", 0, baselines.submission_app(url), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    events = []
    try:
        result = run_load(f"http://127.0.0.1:{server.server_port}/submit",
                          lambda c, s: events.append(("post", c)) or {"client": f"c{c}", "answer": "x"},
                          concurrency=3, duration=0.5, max_requests=30, on_window=events.append)
    finally:
        server.shutdown()
    assert events[0] == "open" and events[-1] == "closed"
    assert sum(1 for e in events if isinstance(e, tuple)) == result["sent"] > 0


def test_baseline_e_writes_what_an_answer_writes(app, system):
    """Baseline (e) stores an answer as the portal does (the sheet, a device mark, its counters, one
    transaction each), and the load harness sees every acknowledged one stored."""
    import sqlalchemy as sa

    from benchmarks import baselines
    from benchmarks.load import run_load
    from portal.grid.models import Grid
    from surveys.seed import load_demo_campaign

    from surveys.models import Campaign

    demo = load_demo_campaign(system)  # its questionnaire; a campaign of its own, so the counts are its alone
    campaign = Campaign(slug="bench-e-" + secrets.token_hex(3), title_zh="baseline (e)",
                        form_version_id=demo.form_version_id, start_date=demo.start_date, end_date=demo.end_date)
    system.add(campaign)
    system.commit()
    grid = system.execute(sa.select(Grid.id).where(Grid.level == 4).order_by(Grid.path)).scalars().first()

    def count(table):
        return system.execute(sa.text(f"SELECT count(*) FROM {table} WHERE campaign_id = :c"),
                              {"c": campaign.id}).scalar()

    def counted(question):
        return system.execute(sa.text(
            "SELECT coalesce(sum(n), 0) FROM survey_answer_count WHERE campaign_id = :c AND question = :q "
            "AND value = ''"), {"c": campaign.id, "q": question}).scalar()

    before = {t: count(t) for t in ("survey_response", "survey_device")}
    sheets_before = counted("")
    system.commit()
    server = make_server("127.0.0.1", 0, baselines.same_insert_app(app.config["SQLALCHEMY_DATABASE_URI"]),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/answer"
        result = run_load(f"{base}?campaign={campaign.id}&version={campaign.form_version_id}&grid={grid}",
                          lambda c, s: {"knows_worker": "yes", "reward": "no", "website": "", "suggestion": ""},
                          concurrency=3, duration=0.5, max_requests=40)
    finally:
        server.shutdown()
    assert result["error_count"] == 0, result["errors"]
    n = result["acknowledged"]
    assert n > 0
    assert count("survey_response") - before["survey_response"] == n
    assert count("survey_device") - before["survey_device"] == n
    assert counted("") - sheets_before == n
    assert counted("knows_worker") >= n
    stored = system.execute(sa.text(
        "SELECT answers_json, knows_worker FROM survey_response WHERE campaign_id = :c ORDER BY id DESC"),
        {"c": campaign.id}).first()
    import json

    answers = stored[0] if isinstance(stored[0], dict) else json.loads(stored[0])
    assert answers == {"knows_worker": "yes", "reward": "no"} and stored[1] in (True, 1)


def test_baseline_a_lists_the_rows_and_compiles_its_table_once(app, system, monkeypatch):
    """Baseline (a) shows the first units with their grids, and its template is compiled once per
    process as a template file is — compiling it per request (render_template_string) cost ~3 ms of a
    ~6 ms baseline and flattered every ratio to it."""
    import jinja2
    import sqlalchemy as sa

    from benchmarks import baselines
    from portal.ledger.models import Unit

    first = system.execute(sa.select(Unit.name).order_by(Unit.id).limit(3)).scalars().all()
    system.rollback()
    compiled = []
    real_compile = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(1) or real_compile(self, *a, **k))
    client = baselines.minimal_app(app.config["SQLALCHEMY_DATABASE_URI"]).test_client()
    pages = [client.get("/units/?n=3").get_data(as_text=True) for _ in range(3)]
    assert all(f">{name}</a>" in pages[-1] for name in first)
    assert pages[0] == pages[-1]
    assert len(compiled) == 1
