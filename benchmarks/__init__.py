"""Benchmarks of the portal at banner scale and beyond (`make bench`, `python -m benchmarks`).

Every benchmark measures a portal path AND a baseline doing the same work the plainest way, in the same
run on the same data, and reports the ratio portal / baseline: absolute times depend on the machine,
ratios show what the framework, the scope and the templates cost. See docs/scaling.md.

Modules, one purpose each:
  registry.py    the list of benchmarks (add yours with ``@benchmark``), timing helpers
  dataset.py     a fresh database (SQLite file or a new PostgreSQL database) with the generated data set
  baselines.py   the baselines: (a) minimal Flask view, (b) stock FAB ModelView, (d) bare xlsxwriter loop,
                 (e) tiny public-submission endpoint
  servers.py     start/stop a real gunicorn on a free loopback port
  load.py        a generic public-submission load harness (URL, form-fields factory, concurrency, duration)
  list_pages.py  unit list page timings and statement counts of every list page
  export.py      the .xlsx export benchmark (time and peak RSS, each run in its own subprocess)
  submission.py  public-submission load (baseline e now; the surveys wing adds its form to TARGETS)
"""
