"""Soak: a mixed load at a set rate against gunicorn + PostgreSQL + Redis of its own.

    .venv/bin/python bench/soak.py                           # 60 s at 20 requests/s
    .venv/bin/python bench/soak.py --minutes 30 --rate 100   # the 30-minute run

Starts the reliability suite's stack (tests/reliability/procs.py: its own PostgreSQL, Redis
and SMTP, gunicorn, RQ worker, scheduler), then sends, open-loop at --rate requests/s from a
pool of threads, the mix of a working day:

- officers through the desk's wizard (code → goods → step 3 → commit, plain form posts with
  CSRF, as a browser without JavaScript does), the customs home and the Logs page;
- customs API commits with Idempotency-Key (each voucher once; one in 20 sent again with the
  same key, as a client retrying after a timeout);
- a holder's wallet pages (carnets, a carnet, notifications);
- NICS carnet reads and carnet issues (with Idempotency-Key);
- the controller's Logs and transit monitoring pages;
- one list export a minute (started on the Logs page, run by the RQ worker, followed on its
  job page until the file is ready, downloaded).

Prints p50/p95/p99 and the answers per route, the memory (RSS) of every process of the
stack (gunicorn, RQ worker, scheduler, PostgreSQL, Redis) and the database connections every
--sample seconds, then checks the invariants: every 2xx commit (API or desk) is exactly one
complete set of rows, every refused one none; every created carnet exists once, every refused
issue not at all; every export finished.

All the load comes from one customs API client and one NICS client, so the per-client API
budget (NICS_RATE_LIMIT, 600/minute by default) is raised for the run — what is measured is
the stack, not the limiter. Other rate limits stay as configured.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from tests.reliability.helpers import (  # noqa: E402
    ABSENT,
    Api,
    Desk,
    Ticket,
    account_cookie,
    commit_body,
    complete,
    customs_token,
    demo_account,
    new_tickets,
    nics_token,
    office_id,
    officer_cookie,
)
from tests.reliability.procs import Postgres, Redis, SmtpServer, Stack, children_of  # noqa: E402

WALLET_HOST = "wallet.eata.test"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
NUMBER = re.compile(r"CH[0-9A-F]{10}")  # the factory's carnet numbers

# operations of one cycle: (operation, times per cycle); each sends the requests it names
CYCLE = [
    ("api commit", 10),
    ("wizard", 2),  # 6 requests each
    ("wallet", 6),  # 2 requests each
    ("nics read", 12),
    ("nics issue", 3),
    ("customs home", 8),
    ("controller page", 16),
]
REQUESTS = {"wizard": 6, "wallet": 2}


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


def problem_code(r) -> str:
    try:
        return f"{r.status_code} {r.json().get('code')}"
    except ValueError:
        return f"{r.status_code} (not JSON)"


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def tree(pid: int | None) -> list[int]:
    if not pid:
        return []
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def postmaster_pid(pg: Postgres) -> int | None:
    try:
        with open(os.path.join(pg.data, "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second")
    ap.add_argument("--threads", type=int, default=48)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--gthreads", type=int, default=4, help="threads per gunicorn worker")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between samples")
    ap.add_argument(
        "--warmup", type=float, default=60.0, help="seconds of the same load before timing"
    )
    ap.add_argument("--export-every", type=float, default=60.0, help="seconds between exports")
    ap.add_argument("--keep-logs", help="copy the processes' logs to this folder at the end")
    args = ap.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP server's chatter
    os.environ["NICS_RATE_LIMIT"] = "100000/minute"
    duration = args.minutes * 60
    work = tempfile.mkdtemp(prefix="eata-soak-")
    os.chmod(work, 0o755)
    pg, redis_server, smtp = (
        Postgres(os.path.join(work, "pg")),
        Redis(os.path.join(work, "redis")),
        SmtpServer(),
    )
    stack = Stack(work, pg, redis_server, smtp, workers=args.workers, threads=args.gthreads)
    try:
        pg.start()
        redis_server.start()
        smtp.start()
        stack.prepare()
        from portal.domain.passwords import use_fast_hashing
        from portal.extensions import db

        # arranging only: the soak's own carnet PINs are never typed, so they are hashed with
        # the tests' fast profile in this process; the servers keep the real one
        use_fast_hashing(True)
        from tests.support.factory import make_world

        with db.new_session() as s:
            world = make_world(s)
            cycle_requests = sum(n * REQUESTS.get(op, 1) for op, n in CYCLE)
            cycles = int((duration + args.warmup) * args.rate / cycle_requests) + 1
            per = dict(CYCLE)
            t0 = time.time()
            api_tickets = new_tickets(world, cycles * per["api commit"])
            desk_tickets = new_tickets(world, cycles * per["wizard"])
            wallet = wallet_holder(world)
            print(
                f"prepared {len(api_tickets)} + {len(desk_tickets)} vouchers and a wallet "
                f"in {time.time() - t0:.0f} s",
                flush=True,
            )
            stack.start_all()
            Soak(stack, world, api_tickets, desk_tickets, wallet, args).run(duration, args.warmup)
    finally:
        stack.stop()
        if args.keep_logs:
            import shutil

            shutil.copytree(stack.logs, args.keep_logs, dirs_exist_ok=True)
        smtp.stop()
        redis_server.stop()
        pg.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def wallet_holder(world):
    """A second holder with a few carnets and an unlocked wallet session (the soak's holder)."""
    from portal.domain import wallet as wallet_domain
    from portal.models import Holder
    from tests.support.factory import issue

    s = world.session
    holder = Holder(
        kind="private",
        given_names="Anne",
        surname="Peeters",
        email=f"anne2-{secrets.token_hex(4)}@example.test",
        country_code="CH",
    )
    s.add(holder)
    s.commit()
    mine = dataclasses.replace(world, holder=holder)
    carnets = [issue(mine, items=5) for _ in range(4)]
    hs = wallet_domain.open_holder_session(s, holder, mfa_pending=False)
    hs.unlocked_at = hs.created_at
    s.commit()
    return hs.id, [c.id for c in carnets]


class Soak:
    def __init__(self, stack, world, api_tickets, desk_tickets, wallet, args):
        self.stack, self.world, self.args = stack, world, args
        self.api = Api(stack, customs_token(stack, world))
        self.nics = Api(stack, nics_token(stack, world))
        for client in (self.api, self.nics):  # one connection per thread, as many clients
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=args.threads)
            client.http.mount("http://", adapter)
        self.oid = office_id(world)
        self.officer = officer_cookie(stack, world)
        self.controller = account_cookie(stack, world, demo_account(world, "ch", "controller"))
        app = stack.app
        self.holder_cookie = "{}={}".format(
            app.config["SESSION_COOKIE_NAME"],
            app.session_interface.get_signing_serializer(app).dumps(
                {"_user_id": f"h:{wallet[0]}", "_fresh": True}
            ),
        )
        self.wallet_carnets = wallet[1]
        self.api_pending = list(api_tickets)
        self.desk_pending = list(desk_tickets)
        self.eata_ids = [t.eata_id for t in api_tickets]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.answers: dict[str, Counter] = defaultdict(Counter)
        self.outcome: dict[int, tuple[Ticket, int]] = {}  # voucher id → (ticket, status)
        self.issued: dict[str, int] = {}  # carnet number → status
        self.exports: list[tuple[float, str]] = []  # (seconds, outcome)
        self.rng = random.Random(1)
        self.stop = threading.Event()
        self.measuring = False
        self.window: list[float] = []  # single requests since the last sample

    # --- one request, timed ---
    def timed(self, route: str, send, retry_get: bool = True):
        """Send one request (a GET is sent once more if its keep-alive connection was
        closed under it, as browsers do); record its time and answer (a status, or the name
        of the exception when there was no answer)."""
        t0 = time.perf_counter()
        try:
            try:
                r = send()
            except requests.ConnectionError:
                if not retry_get:
                    raise
                # the server closed an idle keep-alive connection as this GET went out on it:
                # a browser sends the GET again on a new connection, so does the soak (counted)
                with self.lock:
                    self.answers[route]["reconnect"] += 1
                r = send()
            status = r.status_code
        except Exception as exc:  # noqa: BLE001 — counted as an error, by its name
            r, status = None, type(exc).__name__
        took = time.perf_counter() - t0
        with self.lock:
            if self.measuring:
                self.times[route].append(took)
                self.window.append(took)
            self.answers[route][status] += 1
        return r

    def browsers(self):
        if not hasattr(self.local, "desk"):
            self.local.desk = Desk(self.stack, self.officer)
            self.local.ctl = Desk(self.stack, self.controller)
            self.local.wallet = Desk(self.stack, self.holder_cookie, host=WALLET_HOST)
        return self.local

    # --- operations ---
    def api_commit(self):
        with self.lock:
            if not self.api_pending:
                return
            t = self.api_pending.pop()
        body, key = commit_body(t, self.oid), f"soak-{t.code}"
        r = self.timed(
            "api commit", lambda: self.api.post("/v1/customs/vouchers/commit", body, key), False
        )
        status = r.status_code if r is not None else 0
        if r is not None and status >= 400:
            with self.lock:  # why: the problem's code
                self.answers["api commit refused"][problem_code(r)] += 1
        if r is not None and self.rng.random() < 0.05:  # the client retries with the same key
            again = self.timed(
                "api commit (retry)",
                lambda: self.api.post("/v1/customs/vouchers/commit", body, key),
                False,
            )
            if again is not None and again.status_code != status:
                with self.lock:
                    self.answers["retry answered differently"][again.status_code] += 1
        with self.lock:
            self.outcome[t.voucher_id] = (t, status)

    def wizard(self):
        with self.lock:
            if not self.desk_pending:
                return
            t = self.desk_pending.pop()
        desk = self.browsers().desk
        t0 = time.perf_counter()
        try:
            path = desk.to_commit_form(t)  # GET new, POST new, GET goods, POST goods, GET step 3
        except Exception as exc:  # noqa: BLE001 — counted as an error, by its name
            with self.lock:
                self.answers["wizard steps 1-3"][f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                self.outcome[t.voucher_id] = (t, 0)
            return
        with self.lock:
            self.times["wizard steps 1-3 (5 requests)"].append(time.perf_counter() - t0)
        r = self.timed("wizard commit", lambda: desk.post(path, {"goods_examined": "no"}), False)
        status = r.status_code if r is not None else 0
        with self.lock:  # 303 to the receipt = committed
            self.outcome[t.voucher_id] = (t, 200 if status == 303 else status)

    def wallet(self):
        w = self.browsers().wallet
        self.timed("wallet carnets", lambda: w.get("/my/carnets"))
        cid = self.rng.choice(self.wallet_carnets)
        if self.rng.random() < 0.5:
            self.timed("wallet carnet", lambda: w.get(f"/my/carnets/{cid}"))
        else:
            self.timed("wallet notifications", lambda: w.get("/my/notifications"))

    def nics_read(self):
        eata_id = self.rng.choice(self.eata_ids)
        self.timed("nics read", lambda: self.nics.get(f"/v1/carnets/{eata_id}"))

    def nics_issue(self):
        from tests.support.factory import carnet_body

        body = carnet_body(
            items=5, carnet_number=f"CH{secrets.token_hex(5).upper()}", currency="CHF"
        )
        r = self.timed(
            "nics issue",
            lambda: self.nics.post("/v1/carnets", body, key=body["carnet_number"]),
            False,
        )
        with self.lock:
            self.issued[body["carnet_number"]] = r.status_code if r is not None else 0

    def customs_home(self):
        self.timed("customs home", lambda: self.browsers().desk.get("/"))

    def controller_page(self):
        ctl = self.browsers().ctl
        path = self.rng.choice(
            ["/monitoring/logs", "/monitoring/logs?tab=transactions", "/monitoring/transits"]
        )
        self.timed("controller " + path.split("/")[-1], lambda: ctl.get(path))

    def exporter(self):
        """One list export every --export-every seconds, followed to its download."""
        ctl = Desk(self.stack, self.controller)
        while not self.stop.wait(self.args.export_every):
            t0 = time.perf_counter()
            outcome = "started"
            try:
                page = ctl.get("/monitoring/logs")
                ctl.csrf = CSRF.search(page.text).group(1)
                r = ctl.post("/monitoring/exports/list", {"view": "transactions"})
                job = r.headers.get("Location", "")
                outcome = f"start answered {r.status_code}"
                if r.status_code in (302, 303) and job:
                    job = "/" + job.split("/", 3)[-1] if job.startswith("http") else job
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline:
                        p = ctl.get(job)
                        link = re.search(r'href="([^"]*/download[^"]*)"', p.text)
                        if link:
                            d = ctl.get(link.group(1).replace("&amp;", "&"))
                            outcome = f"downloaded ({d.status_code}, {len(d.content)} bytes)"
                            break
                        if 'class="form-error"' in p.text:
                            outcome = "job failed"
                            break
                        time.sleep(1)
                    else:
                        outcome = "not ready after 120 s"
            except Exception as exc:  # noqa: BLE001 — reported
                outcome = f"error {exc!r}"
            with self.lock:
                self.exports.append((time.perf_counter() - t0, outcome))

    # --- the run ---
    def run(self, duration: float, warmup: float) -> None:
        ops = {
            "api commit": self.api_commit,
            "wizard": self.wizard,
            "wallet": self.wallet,
            "nics read": self.nics_read,
            "nics issue": self.nics_issue,
            "customs home": self.customs_home,
            "controller page": self.controller_page,
        }
        cycle = [op for op, n in CYCLE for _ in range(n)]
        random.Random(2).shuffle(cycle)
        interval = 1 / self.args.rate
        exporter = threading.Thread(target=self.exporter, daemon=True)
        exporter.start()
        start = time.monotonic()
        next_sample = start + warmup
        sent = 0
        samples = []
        print(f"warming up for {warmup:.0f} s (the same load, not timed)", flush=True)
        with (
            ThreadPoolExecutor(self.args.threads) as pool,
            db_engine(self.stack) as engine,
        ):
            i = 0
            while time.monotonic() - start < duration + warmup:
                if not self.measuring and time.monotonic() - start >= warmup:
                    with self.lock:
                        self.measuring = True
                if time.monotonic() >= next_sample:
                    samples.append(self.sample(engine, time.monotonic() - start - warmup, sent))
                    next_sample += self.args.sample
                op = cycle[i % len(cycle)]
                pool.submit(ops[op])
                i += 1
                sent += REQUESTS.get(op, 1)
                time.sleep(max(0.0, start + sent * interval - time.monotonic()))
            self.stop.set()
        samples.append(self.sample(engine, time.monotonic() - start - warmup, sent))
        exporter.join(timeout=130)
        elapsed = time.monotonic() - start - warmup
        self.report(elapsed, samples)

    def sample(self, engine, at: float, sent: int) -> dict:
        with engine.connect() as conn:
            conns = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            ).scalar()
        st = self.stack
        groups = {
            "gunicorn": tree(st.gunicorn.pid if st.gunicorn else None),
            "rq worker": tree(st.worker.pid if st.worker else None),
            "scheduler": tree(st.scheduler.pid if st.scheduler else None),
            "postgres": tree(postmaster_pid(st.pg)),
            "redis": tree(st.redis.proc.pid if st.redis.proc else None),
        }
        rss = {k: rss_mb(pids) for k, pids in groups.items()}
        cpu = {k: cpu_seconds(pids) for k, pids in groups.items()}
        cpu["load generator"] = cpu_seconds([os.getpid()])
        with self.lock:
            window, self.window = self.window, []
        print(
            f"t={at:5.0f} s  requests {sent:7d}  p95 {pct(window, 95):6.0f} ms"
            f"  db connections {conns:3d}  RSS MB "
            + "  ".join(f"{k} {v:6.1f}" for k, v in rss.items()),
            flush=True,
        )
        return {"at": at, "conns": conns, "cpu": cpu, "timed": self.timed_count(), **rss}

    def timed_count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.times.values())

    def report(self, elapsed: float, samples: list[dict]) -> None:
        total = sum(len(v) for v in self.times.values() if v)
        print(f"\n{total} timed requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s")
        print(f"\n{'route':<34} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  answers")
        all_times = []
        for route in sorted(set(self.times) | set(self.answers)):
            v = self.times[route]
            if "(5 requests)" not in route:
                all_times.extend(v)
            answers = " ".join(f"{k}×{n}" for k, n in sorted(self.answers[route].items(), key=str))
            print(
                f"{route:<34} {len(v):>6} {pct(v, 50):>8.1f} {pct(v, 95):>8.1f}"
                f" {pct(v, 99):>8.1f}  {answers}"
            )
        print(
            f"{'all single requests':<34} {len(all_times):>6} {pct(all_times, 50):>8.1f}"
            f" {pct(all_times, 95):>8.1f} {pct(all_times, 99):>8.1f}"
        )
        errors = sum(
            n
            for c in self.answers.values()
            for status, n in c.items()
            if status != "reconnect" and (isinstance(status, str) or status == 0 or status >= 500)
        )
        print(f"errors (no answer or 5xx): {errors}")
        if "retry answered differently" in self.answers:
            print("retries answered differently:", dict(self.answers["retry answered differently"]))
        first = next((s for s in samples if s["at"] >= 60), samples[0])
        last = samples[-1]
        for k in ("gunicorn", "rq worker", "scheduler", "postgres", "redis"):
            print(f"RSS {k:<10} at {first['at']:4.0f} s {first[k]:7.1f} MB → end {last[k]:7.1f} MB")
        print(f"database connections: max {max(s['conns'] for s in samples)}")
        base = samples[0]
        done = last["timed"] - base["timed"]
        if done:
            print(
                "CPU per timed request (ms): "
                + "  ".join(
                    f"{k} {(last['cpu'][k] - base['cpu'][k]) * 1000 / done:.1f}"
                    for k in last["cpu"]
                )
            )
        for seconds, outcome in self.exports:
            print(f"export: {seconds:5.1f} s  {outcome}")
        self.check_invariants()

    def check_invariants(self) -> None:
        from portal.extensions import db
        from portal.models import Carnet

        rows = commit_rows_bulk([t for t, _ in self.outcome.values()])
        bad = 0
        for vid, (t, status) in self.outcome.items():
            # no answer (0): the commit may or may not have happened, but never half
            want = [complete(t)] if 200 <= status < 300 else [ABSENT]
            if status == 0:
                want.append(complete(t))
            if rows[vid] not in want:
                bad += 1
                if bad <= 10:
                    print(
                        f"invariant broken for voucher {vid}: answered {status}, rows {rows[vid]}"
                    )
        committed = sum(1 for _, s in self.outcome.values() if 200 <= s < 300)
        print(f"commits: {len(self.outcome)} checked ({committed} committed), {bad} broken")
        with db.new_session() as s:
            numbers = Counter(
                s.scalars(
                    select(Carnet.carnet_number).where(Carnet.carnet_number.in_(list(self.issued)))
                )
            )
        wrong = sum(
            1
            for number, status in self.issued.items()
            if numbers[number] not in ((1,) if status == 201 else (0, 1) if status == 0 else (0,))
        )
        created = sum(1 for s in self.issued.values() if s == 201)
        print(f"issues: {len(self.issued)} checked ({created} created), {wrong} broken")


def commit_rows_bulk(tickets: list[Ticket]) -> dict[int, dict]:
    """tests.reliability.helpers.commit_rows for many vouchers at once (a few set queries)."""
    from portal.extensions import db
    from portal.models import (
        AuditEvent,
        HolderNotification,
        OutboxMessage,
        Transaction,
        TransactionItem,
    )

    ids = [t.voucher_id for t in tickets]
    out = {vid: dict(ABSENT) for vid in ids}
    with db.new_session() as s:
        for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
            for vid, n in s.execute(
                select(Transaction.voucher_id, func.count())
                .where(Transaction.voucher_id.in_(chunk))
                .group_by(Transaction.voucher_id)
            ):
                out[vid]["transactions"] = n
            for vid, n in s.execute(
                select(Transaction.voucher_id, func.count())
                .join(TransactionItem, TransactionItem.transaction_id == Transaction.id)
                .where(Transaction.voucher_id.in_(chunk))
                .group_by(Transaction.voucher_id)
            ):
                out[vid]["items"] = n
        wanted = set(ids)
        for data in s.scalars(
            select(AuditEvent.data).where(AuditEvent.action == "transaction.committed")
        ):
            vid = (data or {}).get("voucher_id")
            if vid in wanted:
                out[vid]["audit"] += 1
        note_voucher = {}
        for nid, vid in s.execute(
            select(HolderNotification.id, HolderNotification.voucher_id).where(
                HolderNotification.kind == "committed"
            )
        ):
            if vid in wanted:
                note_voucher[nid] = vid
                out[vid]["notifications"] += 1
        emails = Counter()
        for kind, payload, subject in s.execute(
            select(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.subject)
        ):
            if kind == "holder_notification":
                vid = note_voucher.get((payload or {}).get("notification_id"))
                if vid is not None:
                    out[vid]["outbox_signals"] += 1
            elif kind == "email" and subject and "committed" in subject:
                emails[subject] += 1
    by_number = Counter()
    for subject, n in emails.items():
        for number in set(NUMBER.findall(subject)):
            by_number[number] += n
    for t in tickets:
        out[t.voucher_id]["emails"] = by_number[t.carnet_number]
    return out


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
