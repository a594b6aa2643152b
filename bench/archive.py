"""Benchmark: the archive of closed carnets (issue #20 item 5) — the move of N carnets.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<scratch db> \\
      nice -n 19 /work/main/.venv/bin/python bench/archive.py --carnets 20000

RESETS the schema of the database it is given (use a scratch database). Generates N carnets
with bench/history_scale.py's set-based generator (7 transactions and 14 lines each, commits
spread over five years), closes the even ones (validity ended the day after their last
commit), runs a full reconciliation, then times `flask monitoring archive --dry-run`'s count
(`archive.plan`) and the move (`archive.run`, batches of `--batch-size` carnets, one database
transaction each) with ARCHIVE_AFTER_DAYS = `--days`, and prints the live and archive table
sizes before and after. Millions of rows are another benchmark's (history_scale.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sqlalchemy import text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import history_scale as hs  # noqa: E402

TABLES = (
    "carnet_transaction",
    "transaction_item",
    "carnet_territory",
    "carnet_transaction_archive",
    "transaction_item_archive",
    "carnet_territory_archive",
)

CLOSE = """
UPDATE carnet c SET valid_until = last.day + 1
FROM (SELECT carnet_id, max(committed_at)::date AS day FROM carnet_transaction
      GROUP BY carnet_id) last
WHERE last.carnet_id = c.id AND c.id % 2 = 0
"""


def sizes(s) -> str:
    return ", ".join(
        f"{t} {s.execute(text(f'SELECT count(*) FROM {t}')).scalar():,}" for t in TABLES
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--carnets", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--batch-size", type=int, default=500)
    args = ap.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgresql") or url.rsplit("/", 1)[-1] in ("test", "eata"):
        raise SystemExit("BENCH_DATABASE_URL must point at a scratch PostgreSQL database")

    t0 = time.perf_counter()
    hs.generate(url, args.carnets, 50_000, True)
    print(f"generated {args.carnets:,} carnets in {time.perf_counter() - t0:.1f} s")
    app, db = hs.make_app(url)
    from portal.db import now_utc
    from portal.domain import archive
    from portal.domain import reconciliation as rec

    with app.app_context(), db.new_session() as s:
        s.execute(text(CLOSE))
        s.commit()
        t0 = time.perf_counter()
        rec.run(s, full=True)
        s.commit()
        print(f"full reconciliation: {time.perf_counter() - t0:.1f} s ({hs.load()})")
        s.execute(text("ANALYZE"))
        s.commit()
        print("before:", sizes(s))
        today = now_utc().date()
        t0 = time.perf_counter()
        plan = archive.plan(s, today, args.days)
        s.rollback()
        print(
            f"dry run: {plan.carnets:,} carnets, {plan.transactions:,} transactions to move, "
            f"counted in {time.perf_counter() - t0:.2f} s ({hs.load()})"
        )
        t0 = time.perf_counter()
        result = archive.run(s, today=today, days=args.days, batch_size=args.batch_size)
        took = time.perf_counter() - t0
        print(
            f"archive: {result.carnets:,} carnets, {result.transactions:,} transactions in "
            f"{result.batches} batches, {took:.1f} s — {result.carnets / took:,.0f} carnets/s, "
            f"{took / max(result.batches, 1):.2f} s per batch of {args.batch_size} "
            f"({hs.load()})"
        )
        print("after: ", sizes(s))
        t0 = time.perf_counter()
        again = archive.run(s, today=today, days=args.days, batch_size=args.batch_size)
        print(f"re-run: {again.carnets} carnets in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        rec.run(s, full=True)
        s.commit()
        print(f"full reconciliation after: {time.perf_counter() - t0:.1f} s ({hs.load()})")


if __name__ == "__main__":
    main()
