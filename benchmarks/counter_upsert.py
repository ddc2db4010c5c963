"""One answer sheet's counters: one multi-row upsert (``counts.add_sheet``) against the row-at-a-time
executemany of the same upsert (``counts._UPSERT``), each followed by a commit, alternated in rounds.

    python -m benchmarks.counter_upsert --db URL [--sheets 400] [--rounds 6]

``URL`` is a scratch database: the table ``survey_answer_count`` is dropped and made there (no foreign
keys). Prints the median microseconds per sheet and commit of each way, and checks both counted alike.
"""
from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa

FIELDS = [("knows_worker", "yes_no"), ("knows_boundary", "single_choice"), ("report_hazard", "single_choice"),
          ("reward", "yes_no"), ("major_hazard", "single_choice"), ("worker_visits", "single_choice"),
          ("suggestion", "text")]
ANSWERS = {"knows_worker": True, "knows_boundary": "village_area", "report_hazard": "tell_worker", "reward": True,
           "major_hazard": "severe", "worker_visits": "monthly", "suggestion": "x"}


def main(argv=None) -> int:
    from surveys import counts

    p = argparse.ArgumentParser(prog="python -m benchmarks.counter_upsert", description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--sheets", type=int, default=400)
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args(argv)
    engine = sa.create_engine(args.db)
    with engine.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS survey_answer_count")
        c.exec_driver_sql(
            "CREATE TABLE survey_answer_count (campaign_id integer NOT NULL, form_version_id integer NOT NULL, "
            "grid_id integer NOT NULL, question text NOT NULL, value text NOT NULL, shard smallint NOT NULL, "
            "n integer NOT NULL, PRIMARY KEY (campaign_id, form_version_id, grid_id, question, value, shard))")
    rows = counts._rows(1, 1, 5, counts.tokens(FIELDS, ANSWERS))

    def executemany(conn, shard, campaign):
        conn.execute(counts._UPSERT, counts._rows(campaign, 1, 5, counts.tokens(FIELDS, ANSWERS), shard))

    def one_statement(conn, shard, campaign):
        counts.add_sheet(conn, campaign, 1, 5, FIELDS, ANSWERS, shard)

    ways = {"executemany": (executemany, 1), "one_statement": (one_statement, 2)}
    times = {name: [] for name in ways}
    with engine.connect() as conn:
        for _ in range(args.rounds):
            for name, (way, campaign) in ways.items():
                t0 = time.perf_counter()
                for i in range(args.sheets):
                    way(conn, i % 8, campaign)
                    conn.commit()
                times[name].append((time.perf_counter() - t0) / args.sheets * 1e6)
        totals = dict(conn.exec_driver_sql(
            "SELECT campaign_id, sum(n) FROM survey_answer_count GROUP BY campaign_id").all())
    engine.dispose()
    print(f"{engine.dialect.name}: {len(rows)} counter rows per sheet, {args.sheets} sheets × {args.rounds} rounds")
    for name, values in times.items():
        print(f"   {name:14} median {statistics.median(values):8.1f} µs per sheet and commit  "
              f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")
    if totals.get(1) != totals.get(2):
        raise SystemExit(f"the two ways counted differently: {totals}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
