"""Start a real gunicorn on a free loopback port for a benchmark, and stop it (only the one we started)."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from benchmarks.dataset import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by the processes of group ``pgid`` — a gunicorn master
    and its workers — counting workers that exited and were reaped (the master's children's time).
    None where /proc is not there."""
    if not os.path.isdir("/proc"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[2] is the process group (stat field 5)
            total += int(fields[11]) + int(fields[12])  # utime, stime
            if int(name) == pgid:
                total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped workers
    return total / tick


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, workers: int | None = None, threads: int | None = None,
             ready_path: str = "/", timeout: float = 90, started: dict | None = None):
    """Run ``gunicorn -c gunicorn.conf.py <app_spec>`` on 127.0.0.1; yields the base URL. ``started``,
    if given, receives the master's ``pid`` (also its process group: see ``group_cpu_seconds``)."""
    port = free_port()
    env = dict(env)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    exe = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    cmd = [exe, "-c", os.path.join(ROOT, "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
           "--access-logfile", "/dev/null", "--chdir", ROOT, app_spec]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    if started is not None:
        started["pid"] = proc.pid
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(base + ready_path, timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers: good enough
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start in time")
                time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the group we created: master and its workers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
