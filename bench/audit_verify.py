"""`audit verify` over a large audit trail (docs/evidence.md): N chained events written in
bulk, then the whole walk timed (every hash recomputed, every link and head checked, the
signed checkpoint checked).

    python bench/audit_verify.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/bench_audit]
                                 [--events 1000000] [--chains 40]

The database named in --url is dropped and re-created (never point it at `test` or a database
you care about). The events are generated in Python (each hash needs the previous one) and
written with PostgreSQL's COPY, 50,000 rows at a time; the heads are set in one statement and a
checkpoint is signed, as the scheduler would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.engine_commits import recreate_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_audit"
COLUMNS = (
    "at",
    "customs_id",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "ip",
    "data",
    "chain",
    "seq",
    "prev_hash",
    "hash",
)


def generate(n: int, chains: int):
    """Rows (tuples in COLUMNS order) of `chains` chains, interleaved as writers would."""
    from portal.domain import audit_chain
    from portal.domain import evidence_verify as ev

    heads = {f"customs:{c}": (0, "", audit_chain.GENESIS) for c in range(1, chains + 1)}
    names = list(heads)
    t0 = dt.datetime(2026, 1, 1)
    for i in range(n):
        chain = names[i % chains]
        seq, _before, prev = heads[chain]
        row = {
            "chain": chain,
            "seq": seq + 1,
            "prev_hash": prev,
            "at": t0 + dt.timedelta(microseconds=i * 1013),
            "action": "transaction.committed",
            "actor_type": "account",
            "actor_id": 1000 + i % 500,
            "actor_label": f"officer{i % 500}@customs.example.org",
            "customs_id": None,
            "object_type": "carnet",
            "object_id": str(100000000 + i),
            "ip": "192.0.2.10",
            "data": {"transactions": [i], "kinds": ["export"], "items": {"1": 2, "2": 1}},
        }
        row["hash"] = audit_chain.event_hash(row)
        heads[chain] = (seq + 1, prev, row["hash"])
        yield tuple(ev.canonical_json(row[k]).decode() if k == "data" else row[k] for k in COLUMNS)
    yield heads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chains", type=int, default=40)
    args = parser.parse_args()

    from sqlalchemy import text

    from portal import create_app
    from portal.domain import audit_chain
    from portal.extensions import db
    from portal.migrate import upgrade

    recreate_database(args.url)
    app = create_app(
        {"DATABASE_URL": args.url, "TESTING": True, "REDIS_URL": "", "JOBS_INLINE": True}
    )
    upgrade(args.url)
    with app.app_context(), db.new_session() as s:
        t0 = time.perf_counter()
        raw = s.connection().connection.driver_connection
        heads = None
        with raw.cursor() as cur:
            batch: list = []
            copy_sql = f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN"
            for row in generate(args.events, args.chains):
                if isinstance(row, dict):
                    heads = row
                    break
                batch.append(row)
                if len(batch) == 50_000:
                    with cur.copy(copy_sql) as copy:
                        for r in batch:
                            copy.write_row(r)
                    batch.clear()
            if batch:
                with cur.copy(copy_sql) as copy:
                    for r in batch:
                        copy.write_row(r)
        for chain, (seq, prev, hash_) in heads.items():
            s.execute(
                text(
                    "INSERT INTO audit_chain (chain, seq, prev_hash, head_hash) "
                    "VALUES (:c, :s, :p, :h)"
                ),
                {"c": chain, "s": seq, "p": prev, "h": hash_},
            )
        audit_chain.checkpoint(s)
        s.commit()
        s.execute(text("ANALYZE audit_event"))
        s.commit()
        print(
            f"wrote {args.events:,} events in {args.chains} chains: {time.perf_counter() - t0:.1f} s"
        )

    with app.app_context(), db.new_session() as s:
        t0, cpu = time.perf_counter(), time.process_time()
        report = audit_chain.verify(s)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
    assert report.ok and report.events == args.events, report.breaks[:3]
    print(
        f"audit verify: {report.events:,} events, {report.chains} chains, "
        f"{report.checkpoints} checkpoint: {wall:.1f} s wall ({report.events / wall:,.0f} "
        f"events/s), {cpu:.1f} s CPU; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
