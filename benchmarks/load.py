"""A generic load harness for public submissions: many clients POSTing forms for a bounded time.

``run_load(url, fields, concurrency, duration)``: ``concurrency`` threads, each with its own keep-alive
connection, POST ``fields(client_no, seq)`` (a dict of form fields) to ``url`` until ``duration`` seconds
have passed or ``max_requests`` were sent. Only loopback targets are accepted. Returns counts (sent,
acknowledged = 2xx, errors by kind) and latency percentiles; the caller compares ``acknowledged`` with
what the server stored.

A form that must be fetched before it is posted (CSRF token, idempotency key) passes ``before(conn, path,
client_no, seq) -> (fields, headers)``: it runs on the client's connection before each POST and its
fields and headers are added (its time counts in the latency). ``acknowledged(status, body) -> bool``
decides what counts as stored (default: any 2xx); a 2xx that is not acknowledged is an error
"not_acknowledged".
"""
from __future__ import annotations

import http.client
import statistics
import threading
import time
from typing import Callable
from urllib.parse import urlencode, urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run_load(url: str, fields: Callable[[int, int], dict], concurrency: int = 50, duration: float = 10.0,
             max_requests: int = 100_000, headers: dict | None = None, timeout: float = 30.0,
             before: Callable | None = None, acknowledged: Callable[[int, bytes], bool] | None = None) -> dict:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError("load tests target this machine only (127.0.0.1 / localhost)")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + duration
    lock = threading.Lock()
    budget = [max_requests]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    acked = [0]
    sent = [0]
    start_gate = threading.Barrier(concurrency + 1)

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def client(no: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        start_gate.wait()
        seq = 0
        mine: list[float] = []
        while time.monotonic() < deadline and take():
            seq += 1
            form = fields(no, seq)
            hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
            t0 = time.perf_counter()
            kind = None
            try:
                if before is not None:
                    extra_fields, extra_headers = before(conn, path, no, seq)
                    form = {**form, **extra_fields}
                    hdrs.update(extra_headers)
                conn.request("POST", path, body=urlencode(form), headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                if not 200 <= resp.status < 300:
                    kind = f"http_{resp.status}"
                elif acknowledged is not None and not acknowledged(resp.status, data):
                    kind = "not_acknowledged"
                else:
                    mine.append(time.perf_counter() - t0)
                if resp.will_close:
                    conn.close()
            except Exception as e:  # a refused or dropped connection counts as an error, then retry anew
                kind = type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
            with lock:
                sent[0] += 1
                if kind:
                    errors[kind] = errors.get(kind, 0) + 1
                else:
                    acked[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join(duration + timeout + 5)
    elapsed = time.monotonic() - t0
    lat = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    return {
        "concurrency": concurrency,
        "duration_s": round(elapsed, 2),
        "sent": sent[0],
        "acknowledged": acked[0],
        "errors": errors,
        "error_count": sum(errors.values()),
        "per_second": round(acked[0] / elapsed, 1) if elapsed else None,
        "median_ms": round(statistics.median(lat), 1) if lat else None,
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }
