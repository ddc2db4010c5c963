"""A generic load harness for public submissions: many clients POSTing forms for a bounded time.

``run_load(url, fields, concurrency, duration)``: ``concurrency`` threads, each with its own keep-alive
connection, POST ``fields(client_no, seq)`` (a dict of form fields) to ``url`` until ``duration`` seconds
have passed or ``max_requests`` were sent. Only loopback targets are accepted. Returns counts (sent,
acknowledged = 2xx, errors by kind) and latency percentiles; the caller compares ``acknowledged`` with
what the server stored.

A form that must be fetched before it is posted (CSRF token, idempotency key) is fetched by
``fetch(conn, path, client_no, seq) -> (fields, headers)``, whose fields and headers are added to the POST.
Two ways to use it:

- ``prefetch=fetch`` (a *submission* is the POST): before the timed window, each client fetches up to
  ``prefetch_count`` forms on its own connection (the phase is bounded by ``prefetch_seconds`` too); the
  timed window then only POSTs them, each client on a new connection (as a client without forms would
  open one). A client stops at ``duration`` or when it has posted every form it fetched
  (``clients_out_of_forms`` counts those that ran out early: fetch more if it is not 0; ``forms_left``
  says how many were not needed).
- ``before=fetch`` (the full answer cycle): the fetch runs before each POST inside the window and its
  time counts in the latency.

``on_window("open" | "closed")`` is called as the timed window opens and after its last client is done
(to read the server's CPU time over the window, say).

``acknowledged(status, body) -> bool`` decides what counts as stored (default: any 2xx); a 2xx that is
not acknowledged is an error "not_acknowledged".
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
             before: Callable | None = None, acknowledged: Callable[[int, bytes], bool] | None = None,
             prefetch: Callable | None = None, prefetch_count: int = 60, prefetch_seconds: float = 120.0,
             on_window: Callable[[str], None] | None = None) -> dict:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError("load tests target this machine only (127.0.0.1 / localhost)")
    if before is not None and prefetch is not None:
        raise ValueError("either fetch each form inside the window (before) or ahead of it (prefetch)")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = [time.monotonic() + duration]  # reset when the timed window opens
    lock = threading.Lock()
    budget = [max_requests]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    acked = [0]
    sent = [0]
    window = {}

    def open_window():  # run by the barrier once every client is ready, before any is released
        if on_window is not None:
            on_window("open")
        window["t0"] = time.monotonic()
        deadline[0] = window["t0"] + duration

    start_gate = threading.Barrier(concurrency + 1, action=open_window)
    fetched: dict[int, int] = {}
    ran_out = [0]
    fetch_errors: dict[str, int] = {}
    left = [0]

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def connect():
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)

    def fetch_ahead(no: int) -> list:
        """Untimed: this client's forms, fetched one after another on its own connection."""
        conn, forms, stop = connect(), [], time.monotonic() + prefetch_seconds
        while len(forms) < prefetch_count and time.monotonic() < stop:
            try:
                forms.append(prefetch(conn, path, no, len(forms) + 1))
            except Exception as e:  # reported, never posted: the window only sends forms that exist
                with lock:
                    fetch_errors[type(e).__name__] = fetch_errors.get(type(e).__name__, 0) + 1
                conn.close()
                conn = connect()
        conn.close()
        return forms

    def client(no: int) -> None:
        ahead = fetch_ahead(no) if prefetch is not None else None
        conn = connect()  # connects lazily, inside the window, as (e)'s clients do
        start_gate.wait()
        seq = 0
        mine: list[float] = []
        while time.monotonic() < deadline[0] and (ahead is None or seq < len(ahead)) and take():
            seq += 1
            form = fields(no, seq)
            hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
            t0 = time.perf_counter()
            kind = None
            try:
                if ahead is not None:
                    extra_fields, extra_headers = ahead[seq - 1]
                    form = {**form, **extra_fields}
                    hdrs.update(extra_headers)
                elif before is not None:
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
                conn = connect()
            with lock:
                sent[0] += 1
                if kind:
                    errors[kind] = errors.get(kind, 0) + 1
                else:
                    acked[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            if ahead is not None:
                fetched[no] = len(ahead)
                left[0] += len(ahead) - seq
                ran_out[0] += seq == len(ahead) and time.monotonic() < deadline[0]

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    start_gate.wait()  # every client has its forms (if it prefetches): the window opens
    t0 = window["t0"]
    for t in threads:
        t.join(duration + timeout + 5)
    elapsed = time.monotonic() - t0
    if on_window is not None:
        on_window("closed")
    lat = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    out = {}
    if prefetch is not None:
        out = {"forms_fetched": sum(fetched.values()), "fetch_errors": fetch_errors, "forms_left": left[0],
               "clients_out_of_forms": ran_out[0]}
    return {
        **out,
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
