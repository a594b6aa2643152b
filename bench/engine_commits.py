"""Commits per second through portal.domain.transactions.commit_voucher on PostgreSQL, with 1,
4 and 16 concurrent workers (processes, like gunicorn workers) on distinct vouchers, and the
same run of a bare SELECT … FOR UPDATE + INSERT + UPDATE transaction as the ratio to beat.

    python bench/engine_commits.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/bench_engine]
                                   [--per-worker 50] [--workers 1,4,16]

The database named in --url is dropped and re-created (never point it at `test` or a database
you care about). Each measured commit is a validation of its own carnet: lock carnet + voucher,
every rule, transaction + items + audit event + holder notification + 2 outbox rows, one commit.
"CPU ms/commit" is the Python CPU of the workers per domain commit (time.process_time), which
a machine shared with other work disturbs less than the rates.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_engine"


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.database in ("test", "postgres", None):
        raise SystemExit(f"refusing to drop database {target.database!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def setup(url: str, count: int):
    """The app (configures codes and crypto), schema, demo tenants and `count` carnets, each in
    a holder's wallet with a prepared travel; returns (voucher ids, account id, office id)."""
    from sqlalchemy import select, text

    from portal import create_app
    from portal.domain.refdata import load_reference_data
    from portal.extensions import db
    from portal.migrate import upgrade
    from portal.models import Account, CustomsAdministration, Office
    from tests.support.factory import issue, make_world, travel

    app = create_app(
        {
            "DATABASE_URL": url,
            "PASSWORD_HASH_FAST": True,
            "TESTING": True,
            "REDIS_URL": "",
            "JOBS_INLINE": True,
            "EATA_DOMAIN": "eata.test",
        }
    )
    upgrade(url)
    with app.app_context(), db.new_session() as s:
        load_reference_data(s)
        s.commit()
        world = make_world(s)
        vouchers = []
        t0 = time.perf_counter()
        for n in range(count):
            carnet = issue(world, items=3, sets={"export_reimport": 1, "import_reexport": 1})
            t = travel(world, carnet, "CH", "FR")
            vouchers.append(next(v.id for v in t.vouchers if v.kind == "validation"))
            if n and n % 500 == 0:
                print(f"  prepared {n} carnets ({time.perf_counter() - t0:.0f}s)", flush=True)
        ch = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "ch"))
        office = s.scalar(select(Office).where(Office.customs_id == ch.id).order_by(Office.id))
        account = s.scalar(
            select(Account).where(Account.customs_id == ch.id, Account.role == "officer")
        )
        s.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_bare (id serial PRIMARY KEY, "
                "voucher_id integer NOT NULL, at timestamp NOT NULL DEFAULT now())"
            )
        )
        s.commit()
        ids = (account.id, office.id)
    db.engine.dispose()
    return app, vouchers, ids


WARMUP = 5


def _worker(
    kind: str, url: str, voucher_ids: list[int], ids: tuple[int, int], barrier, out
) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from portal.db import make_engine
    from portal.domain.transactions import Officer, commit_voucher
    from portal.models import Account, Office

    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        officer = Officer(account=s.get(Account, ids[0]), office=s.get(Office, ids[1]))
        s.commit()

        def one(vid: int) -> None:
            if kind == "domain":
                commit_voucher(
                    s, vid, officer, fields={"goods_examined": False}, commit_token=f"bench-{vid}"
                )
                s.commit()
            else:
                with engine.begin() as conn:
                    conn.execute(
                        text("SELECT id FROM voucher WHERE id = :v FOR UPDATE"), {"v": vid}
                    )
                    conn.execute(
                        text("INSERT INTO bench_bare (voucher_id) VALUES (:v)"), {"v": vid}
                    )
                    conn.execute(
                        text("UPDATE voucher SET lock_seq = lock_seq + 1 WHERE id = :v"), {"v": vid}
                    )

        # warm up (statement caches, prepared statements, pool) outside the measure
        warm, timed = voucher_ids[:WARMUP], voucher_ids[WARMUP:]
        for vid in warm:
            one(vid)
        barrier.wait()
        start, cpu = time.perf_counter(), time.process_time()
        for vid in timed:
            one(vid)
        end, cpu = time.perf_counter(), time.process_time() - cpu
    engine.dispose()
    out.put((start, end, len(timed), cpu))


def run(kind: str, url: str, vouchers: list[int], workers: int, ids) -> tuple[float, float]:
    """(commits per second, CPU ms of the worker processes per commit)."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers)
    out = ctx.Queue()
    per = len(vouchers) // workers
    procs = [
        ctx.Process(
            target=_worker, args=(kind, url, vouchers[i * per : (i + 1) * per], ids, barrier, out)
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a {kind} worker failed (exit code {p.exitcode})")
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    count = sum(r[2] for r in results)
    return count / (end - start), 1000 * sum(r[3] for r in results) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--per-worker", type=int, default=50)
    parser.add_argument("--workers", default="1,4,16")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    per = args.per_worker + WARMUP
    total = sum(w * per for w in counts)
    print(f"recreating {args.url.rsplit('/', 1)[-1]}; preparing {total} carnets …", flush=True)
    recreate_database(args.url)
    _app, vouchers, ids = setup(args.url, total)
    print(
        f"{'workers':>7} {'domain commits/s':>17} {'bare tx/s':>10} {'ratio':>6}"
        f" {'CPU ms/commit':>14}  load average (1 min) before → after"
    )
    offset = 0
    for w in counts:
        chunk = vouchers[offset : offset + w * per]
        offset += len(chunk)
        load_before = os.getloadavg()[0]
        domain, cpu = run("domain", args.url, chunk, w, ids)
        bare, _ = run("bare", args.url, chunk, w, ids)
        print(
            f"{w:>7} {domain:>17.0f} {bare:>10.0f} {domain / bare:>6.2f} {cpu:>14.2f}"
            f"  {load_before:.1f} → {os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
