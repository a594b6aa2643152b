"""Soak: a mixed load at a set rate against gunicorn + PostgreSQL + Redis of its own.

    .venv/bin/python bench/soak.py                           # 60 s at 20 requests/s
    .venv/bin/python bench/soak.py --minutes 30 --rate 100   # the 30-minute run

Starts the reliability suite's stack (tests/reliability/procs.py: its own PostgreSQL, Redis
and SMTP, gunicorn, RQ worker, scheduler), then sends, open-loop at --rate requests/s from a
pool of threads: customs API commits with Idempotency-Key (each voucher once), desk pages,
monitoring pages, NICS carnet reads. Prints p50/p95/p99 per route, errors and 5xx, the RSS of
the gunicorn processes and the database connections every --sample seconds, then checks the
invariant: every 2xx commit is exactly one complete set of rows, every refused one none.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import text  # noqa: E402

from tests.reliability.helpers import (  # noqa: E402
    ABSENT,
    Api,
    Desk,
    account_cookie,
    commit_body,
    commit_rows,
    complete,
    customs_token,
    demo_account,
    new_tickets,
    nics_token,
    office_id,
    officer_cookie,
)
from tests.reliability.procs import Postgres, Redis, SmtpServer, Stack, children_of  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000 if values else 0.0


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second")
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    args = ap.parse_args()
    duration = args.minutes * 60
    total = int(duration * args.rate)
    work = tempfile.mkdtemp(prefix="eata-soak-")
    os.chmod(work, 0o755)
    pg, redis_server, smtp = (
        Postgres(os.path.join(work, "pg")),
        Redis(os.path.join(work, "redis")),
        SmtpServer(),
    )
    stack = Stack(work, pg, redis_server, smtp)
    try:
        pg.start()
        redis_server.start()
        smtp.start()
        stack.prepare()
        stack.start_all()
        from portal.extensions import db
        from tests.support.factory import make_world

        with db.new_session() as s:
            world = make_world(s)
            commits = max(1, total // 4)
            t0 = time.time()
            tickets = new_tickets(world, commits)
            print(f"prepared {commits} vouchers in {time.time() - t0:.0f} s", flush=True)
            run(stack, world, tickets, duration, args)
    finally:
        stack.stop()
        smtp.stop()
        redis_server.stop()
        pg.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def run(stack, world, tickets, duration, args) -> None:
    api = Api(stack, customs_token(stack, world))
    nics = Api(stack, nics_token(stack, world))
    oid = office_id(world)
    desk_cookie = officer_cookie(stack, world)
    ctl_cookie = account_cookie(stack, world, demo_account(world, "ch", "controller"))
    eata_ids = [t.eata_id for t in tickets]
    local = threading.local()
    lock = threading.Lock()
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    outcome: dict[int, int] = {}  # voucher id → commit status
    pending = list(tickets)
    rng = random.Random(1)

    def one(kind: str) -> None:
        if not hasattr(local, "desk"):
            local.desk, local.ctl = Desk(stack, desk_cookie), Desk(stack, ctl_cookie)
        t0 = time.perf_counter()
        try:
            if kind == "commit":
                with lock:
                    if not pending:
                        return
                    t = pending.pop()
                r = api.post(
                    "/v1/customs/vouchers/commit", commit_body(t, oid), key=f"soak-{t.code}"
                )
                with lock:
                    outcome[t.voucher_id] = r.status_code
            elif kind == "desk page":
                r = local.desk.get("/transactions/new")
            elif kind == "logs page":
                r = local.ctl.get("/monitoring/logs")
            else:
                r = nics.get(f"/v1/carnets/{rng.choice(eata_ids)}")
            status = r.status_code
        except Exception:  # noqa: BLE001 — counted
            status = 0
        with lock:
            times[kind].append(time.perf_counter() - t0)
            if status == 0 or status >= 500:
                errors[kind] += 1

    mix = ["commit", "desk page", "logs page", "nics read"]
    interval = 1 / args.rate
    start = time.monotonic()
    next_sample = start
    with ThreadPoolExecutor(args.threads) as pool, db_engine(stack) as engine:
        n = 0
        while time.monotonic() - start < duration:
            if time.monotonic() >= next_sample:
                with engine.connect() as conn:
                    conns = conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database()"
                        )
                    ).scalar()
                pids = [stack.gunicorn.pid, *children_of(stack.gunicorn.pid)]
                print(
                    f"t={time.monotonic() - start:5.0f} s  gunicorn RSS {rss_mb(pids):6.1f} MB"
                    f"  db connections {conns}  requests {n}",
                    flush=True,
                )
                next_sample += args.sample
            pool.submit(one, mix[n % len(mix)])
            n += 1
            time.sleep(max(0.0, start + n * interval - time.monotonic()))
    print(f"\n{'route':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for kind in mix:
        v = times[kind]
        print(
            f"{kind:<12} {len(v):>6} {pct(v, 50):>8.1f} {pct(v, 95):>8.1f} {pct(v, 99):>8.1f}"
            f" {errors[kind]:>6}"
        )
    if times["commit"]:
        print(f"mean commit {statistics.mean(times['commit']) * 1000:.1f} ms")
    bad = 0
    for t in tickets:
        if t.voucher_id not in outcome:
            continue
        rows = commit_rows(t)
        want = complete(t) if 200 <= outcome[t.voucher_id] < 300 else ABSENT
        if rows != want:
            bad += 1
            print(f"invariant broken for voucher {t.voucher_id}: {outcome[t.voucher_id]} {rows}")
    print(f"invariant: {len(outcome)} commits checked, {bad} broken")


class db_engine:  # noqa: N801 — used as a context manager
    def __init__(self, stack):
        from sqlalchemy import create_engine

        self.engine = create_engine(stack.pg.url)

    def __enter__(self):
        return self.engine

    def __exit__(self, *exc):
        self.engine.dispose()


if __name__ == "__main__":
    main()
