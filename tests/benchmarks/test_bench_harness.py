"""The benchmark harness itself: the registry, and the public-submission load harness against the tiny
endpoint of baseline (e) (served in a thread, a few clients for a second: bounded, loopback only)."""
from __future__ import annotations

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
