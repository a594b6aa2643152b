"""Benchmark: history at scale (issue #20) — ten million transactions on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_hist \\
      /work/main/.venv/bin/python bench/history_scale.py generate --carnets 1470600 --reset
    BENCH_DATABASE_URL=… /work/main/.venv/bin/python bench/history_scale.py measure

`generate` (re)creates the schema when `--reset` is given (never point it at data you keep),
migrates to the head, then adds carnets in chunks (default 50,000 carnets = 350,000
transactions = 700,000 lines per chunk, one commit each, so a run stopped half-way leaves a
usable database and a second run continues after the highest carnet id). Everything is
set-based `INSERT … SELECT … generate_series` (no ORM), the same shape as
bench/monitoring_reconcile.py: 2 goods items, one travel and 7 transactions per carnet
(validation, export in CH; import, re-export, transit open and close in the EU; re-import in
CH); one carnet in ten lacks its re-export and re-import; half are expired; the commits are
spread over five years. The read model `carnet_territory` is filled by the same set-based
statement as `flask monitoring rebuild-history` (when the schema has it).

`measure` migrates to the head (timing the migration: on a database generated at an older
head it fills the read model) and times, with the load average beside each figure: full and
incremental reconciliation, every Logs page and filter (p50/p95 over `--repeat` requests
through the Flask test client, logged in as an EU controller), the 500-row XLSX, the
25-transaction ZIP, the statistics page, and the peak memory (RSS high-water mark) of the
export jobs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time

from sqlalchemy import create_engine, inspect, text
from sqlalchemy import func as sa_func

# BENCH_CODE_ROOT: measure another checkout's code (e.g. /work/main for the "before" figures)
ROOT = os.environ.get("BENCH_CODE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))
)
sys.path.insert(0, ROOT)

KINDS = ["validation", "export", "import", "reexport", "reimport", "transit_open", "transit_close"]
# positions 1..7 in KINDS; re-importation (5) is committed last, after the transits (6, 7)
DAY_OF = {1: 0, 2: 1, 3: 2, 4: 6, 5: 8, 6: 3, 7: 5}


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def url_of() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("BENCH_DATABASE_URL must point at a PostgreSQL bench database")
    if url.rsplit("/", 1)[-1] in ("test", "eata") or "/test_" in url:
        raise SystemExit("refusing to use that database: use a bench database (bench_hist)")
    return url


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


CHUNK_SQL = [
    (
        "carnets",
        """INSERT INTO carnet (id, eata_id, carnet_number, carnet_type, order_type,
        format, nga_id, departure_country, issue_date, valid_until, intended_use, currency,
        holder_enc, representatives_enc, item_count, total_value, status, status_reason,
        pin_hash, created_at, updated_at)
        SELECT i, 100000 + i, 'CHB' || lpad(i::text, 9, '0'),
               CASE WHEN i % 20 = 0 THEN 'CPD' ELSE 'ATA' END, 'original', 'digital',
               :nga, 'CH', (:t0 + (i::float / :n) * interval '1825 days')::date - 20,
               CASE WHEN i % 2 = 0 THEN current_date - 10 ELSE current_date + 200 END,
               'exhibition', 'CHF', 'x', 'x', 2, 1000, 'issued', '', 'x', now(), now()
        FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i""",
    ),
    (
        "goods items",
        """INSERT INTO goods_item (id, carnet_id, item_no, pieces, description_enc,
        origin_country, value)
        SELECT 2 * (i - 1) + k, i, k, 1, 'x', 'CH', 500
        FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i, generate_series(1, 2) AS k""",
    ),
    (
        "travels",
        """INSERT INTO travel (id, carnet_id, holder_id, nickname, departure_country,
        destination_country, transit_countries, location, transport_mode, extra_details,
        packaging_details, sets_consumed, created_at, updated_at)
        SELECT i, i, :holder, '', 'CH', 'FR', '[]', '', 'air', '', '', '{}', now(), now()
        FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i""",
    ),
    (
        "vouchers",
        """INSERT INTO voucher (id, travel_id, carnet_id, position, kind, country_code,
        territory_id, code_hash, code_enc, state, lock_seq, created_at)
        SELECT 7 * (i - 1) + k, i, i, k, (CAST(:kinds AS text[]))[k],
               CASE WHEN k IN (3, 4, 6, 7) THEN 'FR' ELSE 'CH' END,
               CASE WHEN k IN (3, 4, 6, 7) THEN :eu ELSE :ch END,
               md5('v' || i || '-' || k), 'x', 'used', 0, now()
        FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i, generate_series(1, 7) AS k
        WHERE NOT (i % 10 = 0 AND k IN (4, 5))""",
    ),
    (
        "transactions",
        """INSERT INTO carnet_transaction (id, voucher_id, carnet_id, kind, state,
        territory_id, country_code, customs_id, office_id, officer_name, office_name,
        committed_at, customs_seals, action_not_reexported, action_not_produced, reference,
        remarks, signed_name, verification_code_hash, verification_code_enc,
        cancellation_code_hash, cancellation_code_enc)
        SELECT v.id, v.id, v.carnet_id, v.kind, 'committed', v.territory_id, v.country_code,
               CASE WHEN v.country_code = 'FR' THEN :fr_customs ELSE :ch_customs END,
               CASE WHEN v.country_code = 'FR' THEN :fr_office ELSE :ch_office END,
               'Bench officer', CASE WHEN v.country_code = 'FR' THEN 'Paris' ELSE 'Zurich' END,
               :t0 + (v.carnet_id::float / :n) * interval '1825 days'
                   + (CAST(:days AS int[]))[v.position] * interval '1 day'
                   + (v.carnet_id % 600) * interval '1 minute',
               '', '', '', 'REF' || v.id, '', 'Bench Holder', md5('vc' || v.id), 'x',
               md5('cc' || v.id), 'x'
        FROM voucher v WHERE v.carnet_id BETWEEN :a AND :b""",
    ),
    (
        "transaction lines",
        """INSERT INTO transaction_item (transaction_id, goods_item_id, item_no, quantity, line)
        SELECT t.id, 2 * (t.carnet_id - 1) + k, k, 1, 'cleared'
        FROM carnet_transaction t, generate_series(1, 2) AS k
        WHERE t.carnet_id BETWEEN :a AND :b""",
    ),
]


def setup_world(s) -> dict:
    """The NGA, the holder, and an office in CH and DE (existing ones on a second run)."""
    from portal.domain import api_clients
    from portal.models import Country

    ch = s.get(Country, "CH").territory_id
    eu = s.get(Country, "FR").territory_id
    nga = s.execute(text("SELECT min(id) FROM nga")).scalar()
    if nga is None:
        nga = api_clients.create_nga(s, "CH", "Bench NGA CH").id
        s.execute(
            text(
                """INSERT INTO holder (kind, company_name, title, given_names, surname, email,
                street, postal_code, city, state, country_code, phone, active, created_at)
                VALUES ('private','','','Bench','Holder','bench@example.test','','','','','CH',
                        '', true, now())"""
            )
        )
        s.commit()
    holder = s.execute(text("SELECT min(id) FROM holder")).scalar()
    return {"nga": nga, "ch": ch, "eu": eu, "holder": holder, **_offices(s)}


def _offices(s) -> dict:
    """The demo administrations (CH; FR in the EU territory) and their first office: the
    generated transactions are theirs, so their controllers' Logs show them."""
    from portal.domain.demo import load_demo_data

    if not s.execute(text("SELECT count(*) FROM customs_administration")).scalar():
        load_demo_data(s)
        s.commit()
    out = {}
    for code in ("ch", "fr"):
        customs, office = s.execute(
            text(
                "SELECT a.id, min(o.id) FROM customs_administration a JOIN office o "
                "ON o.customs_id = a.id WHERE a.code = :c GROUP BY a.id"
            ),
            {"c": code},
        ).one()
        out[f"{code}_customs"], out[f"{code}_office"] = customs, office
    return out


def fill(s, first: int, last: int, target: int, world: dict) -> None:
    """Carnets `first` … `last` (of `target`: their commits are spread over five years by
    their id) with their goods, travel, vouchers, transactions, lines and — when the schema
    has it — the read model; then the id sequences past them. Set-based; the caller commits.
    Also used by tests/unit/monitoring/test_f63_list_queries_use_indexes.py."""
    t0 = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=1835)
    params = {**world, "n": target, "kinds": KINDS, "t0": t0, "a": first, "b": last}
    params["days"] = [DAY_OF[k] for k in range(1, 8)]
    for _label, sql in CHUNK_SQL:
        s.execute(text(sql), params)
    if "carnet_territory" in inspect(s.get_bind()).get_table_names():
        from portal.domain import history

        history.rebuild(s, carnet_ids=(first, last))
    for seq, table in (
        ("carnet_id_seq", "carnet"),
        ("goods_item_id_seq", "goods_item"),
        ("travel_id_seq", "travel"),
        ("voucher_id_seq", "voucher"),
        ("carnet_transaction_id_seq", "carnet_transaction"),
    ):
        s.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))"))


def generate(url: str, target: int, chunk: int, do_reset: bool) -> None:
    if do_reset:
        reset(url)
    from portal.migrate import upgrade

    upgrade(url)
    app, db = make_app(url)
    with app.app_context(), db.new_session() as s:
        from portal.domain.refdata import load_reference_data

        if not s.execute(text("SELECT count(*) FROM country")).scalar():
            load_reference_data(s)
            s.commit()
        world = setup_world(s)
        s.execute(text("SET synchronous_commit = off"))
        start = (s.execute(text("SELECT max(id) FROM carnet")).scalar() or 0) + 1
        began = time.perf_counter()
        for a in range(start, target + 1, chunk):
            b = min(target, a + chunk - 1)
            c0 = time.perf_counter()
            fill(s, a, b, target, world)
            s.commit()
            print(
                f"  carnets {a:>9,}–{b:>9,}: {time.perf_counter() - c0:6.1f} s "
                f"(total {time.perf_counter() - began:7.0f} s, {load()})",
                flush=True,
            )
        c0 = time.perf_counter()
        s.execute(text("ANALYZE"))
        s.commit()
        print(f"ANALYZE {time.perf_counter() - c0:.1f} s")
        print_sizes(s)


def print_sizes(s) -> None:
    for t in ("carnet", "carnet_transaction", "transaction_item"):
        n = s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
        print(f"  {t}: {n:,} rows")
    size = s.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    print(f"  database size: {size}")


def make_app(url: str):
    from portal import create_app
    from portal.extensions import db

    instance = tempfile.mkdtemp(prefix="eata-bench-hist-")
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_DIR": instance,
            "STORAGE_DIR": os.path.join(instance, "storage"),
            "JOBS_INLINE": True,
        }
    )
    return app, db


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--carnets", type=int, default=1_470_600)
    g.add_argument("--chunk", type=int, default=50_000)
    g.add_argument("--reset", action="store_true")
    m = sub.add_parser("measure")
    m.add_argument("--repeat", type=int, default=50)
    m.add_argument("--no-upgrade", action="store_true")
    m.add_argument("--full", action="store_true", help="also a full reconciliation")
    m.add_argument(
        "--pages",
        default="",
        help="only the pages whose label contains one of these (comma-separated)",
    )
    m.add_argument("--no-exports", action="store_true")
    m.add_argument("--no-reconcile", action="store_true")
    m.add_argument(
        "--reconcile-first",
        action="store_true",
        help="the full reconciliation before the pages (transit filters and statistics read its"
        " snapshot)",
    )
    m.add_argument(
        "--expire-residue",
        type=int,
        default=3,
        help="the carnets made to expire: id %% 100 = this (pick another on a second run)",
    )
    args = ap.parse_args()
    url = url_of()
    if args.cmd == "generate":
        generate(url, args.carnets, args.chunk, args.reset)
    else:
        measure(url, args, not args.no_upgrade)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed_pages(client, base: str, pages: list[tuple[str, str]], repeat: int) -> None:
    print(f"\nLogs and other pages, {repeat} requests each (ms):")
    print(f"| page | p50 | p95 | max | status, bytes | {load()} at start |")
    for label, url in pages:
        times, status, size = [], None, 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = client.get(url, base_url=base)
            times.append(1000 * (time.perf_counter() - t0))
            status, size = r.status_code, len(r.data)
        print(
            f"| {label} | {pct(times, 0.5):.0f} | {pct(times, 0.95):.0f} | {max(times):.0f} "
            f"| {status}, {size:,} | {load()} |",
            flush=True,
        )


def in_child(label: str, work) -> None:
    """Run `work()` in a forked process: its time, its CPU time (user + system: what the
    export costs whatever else the shared machine runs; the database's share excluded) and
    its peak RSS (ru_maxrss of the child: the app as forked plus what the export adds)."""
    from portal.extensions import db

    db.engine.dispose(close=False)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            print(f"  {label}: {work()}", flush=True)
        except Exception as exc:  # noqa: BLE001 — report and exit non-zero
            print(f"  {label} FAILED: {exc!r}", flush=True)
            code = 1
        os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    print(
        f"| {label} | {time.perf_counter() - t0:.2f} s | CPU {usage.ru_utime + usage.ru_stime:.2f} s "
        f"| peak RSS {usage.ru_maxrss / 1024:.0f} MB | exit {status >> 8} | {load()} |",
        flush=True,
    )


def add_accounts(s, n: int) -> None:
    """n accounts in the FR administration (set-based copies of its controller)."""
    have = s.execute(text("SELECT count(*) FROM account")).scalar()
    if have >= n:
        return
    cols = [c["name"] for c in inspect(s.get_bind()).get_columns("account") if c["name"] != "id"]
    values = ["'bench' || i || '@customs-fr.bench'" if c == "email" else c for c in cols]
    s.execute(
        text(
            f"INSERT INTO account ({', '.join(cols)}) SELECT {', '.join(values)} FROM account, "
            "generate_series(1, :n) AS i WHERE account.email = 'controller@customs-fr.demo'"
        ),
        {"n": n},
    )
    s.commit()


def measure(url: str, args, upgrade_first: bool) -> None:
    repeat, full = args.repeat, args.full
    from portal.migrate import upgrade

    if upgrade_first:
        t0 = time.perf_counter()
        upgrade(url)
        print(
            f"migration to the head (fills the read model, builds the indexes): "
            f"{time.perf_counter() - t0:.1f} s ({load()})",
            flush=True,
        )
    app, db = make_app(url)
    app.config.update(EATA_DOMAIN="eata.test", WTF_CSRF_ENABLED=False)
    base = "http://customs-fr.eata.test"
    from sqlalchemy import select

    from portal.domain import exports, logs, organisation
    from portal.domain import reconciliation as rec
    from portal.domain.sessions import open_session
    from portal.models import Account, Carnet, Transaction

    with app.app_context():
        s = db.session
        print_sizes(s)
        size = s.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        print(f"database: {size.scalar()} ({load()})")
        acc = s.scalar(select(Account).where(Account.email == "controller@customs-fr.demo"))
        us = open_session(s, acc)
        s.commit()
        client = app.test_client()
        with client.session_transaction(base_url=base) as sess:
            sess["_user_id"] = f"c:{us.id}"
            sess["_fresh"] = True
        eu = s.execute(
            text("SELECT territory_id FROM customs_administration WHERE id = :i"),
            {"i": acc.customs_id},
        ).scalar()
        office = s.execute(
            text("SELECT min(id) FROM office WHERE customs_id = :i"), {"i": acc.customs_id}
        ).scalar()
        number = s.scalar(select(Carnet.carnet_number).order_by(Carnet.id.desc()).limit(1))
        mid = s.scalar(select(sa_func.max(Carnet.id))) // 2
        mid_txn = s.scalar(
            select(Transaction).where(Transaction.carnet_id == mid).order_by(Transaction.id)
        )
        year_ago = (dt.date.today() - dt.timedelta(days=365)).isoformat()
        month_after = (dt.date.today() - dt.timedelta(days=335)).isoformat()
        cursor = f"{mid_txn.committed_at.isoformat()}~{mid_txn.id}"
        L = "/monitoring/logs"
        T = L + "?tab=transactions"
        pages = [
            ("Carnets, page 1", L),
            ("Carnets, To check", L + "?status=to_check"),
            ("Carnets, valid", L + "?status=valid"),
            ("Carnets, expired", L + "?status=expired"),
            ("Carnets, type CPD", L + "?carnet_type=CPD"),
            ("Carnets, issued in a month", L + f"?date_from={year_ago}&date_to={month_after}"),
            ("Carnets, office", L + f"?office_id={office}"),
            ("Carnets, search by number", L + f"?q={number}"),
            ("Carnets, page 400 (offset)", L + "?page=400"),
            ("Carnets, deep page (cursor)", L + f"?page=30000&after={mid}"),
            ("Transactions, page 1", T),
            ("Transactions, kind import", T + "&kind=import"),
            ("Transactions, cancelled", T + "&status=cancelled"),
            ("Transactions, a month", T + f"&date_from={year_ago}&date_to={month_after}"),
            ("Transactions, office", T + f"&office_id={office}"),
            ("Transactions, type CPD", T + "&carnet_type=CPD"),
            ("Transactions, search by number", T + f"&q={number}"),
            ("Transactions, page 400 (offset)", T + "&page=400"),
            ("Transactions, deep page (cursor)", T + f"&page=200000&after={cursor}"),
            ("A carnet's transactions", f"/monitoring/logs/carnets/{mid}"),
            ("A transaction's details", f"/monitoring/logs/transactions/{mid_txn.id}"),
            ("Transit monitoring", "/monitoring/transits"),
            ("Transit monitoring, in progress", "/monitoring/transits?state=in_progress"),
            ("Statistics", "/monitoring/statistics"),
        ]
        s.commit()
        if args.reconcile_first:
            t0 = time.perf_counter()
            r = rec.run(s, full=True)
            s.commit()
            print(
                f"| full reconciliation | {r.carnets:,} carnets, {r.to_check:,} to check | "
                f"{time.perf_counter() - t0:.1f} s | {load()} |",
                flush=True,
            )
            full = False
        timed_pages(
            client,
            base,
            [p for p in pages if any(w in p[0] for w in args.pages.split(","))],
            repeat,
        )
        if args.no_exports:
            return

        print("\nExports (each in a forked process):")
        today = dt.date.today()
        storage = app.config["STORAGE_DIR"]
        os.makedirs(storage, exist_ok=True)

        def xlsx():
            f = logs.parse_filters({"status": "all"})
            headers, rows = exports.list_rows(
                db.session, "transactions", eu, f, today, acc.customs_id
            )
            path = os.path.join(storage, "list.xlsx")
            return exports.write_xlsx(path, headers, rows), os.path.getsize(path)

        def zip25():
            from jobs.monitoring import render_transaction_pdf

            ids = list(
                db.session.scalars(
                    select(Transaction.id)
                    .where(Transaction.carnet_id > mid)
                    .order_by(Transaction.id)
                    .limit(25)
                )
            )
            ids = logs.visible_transaction_ids(db.session, eu, ids)
            path = os.path.join(storage, "tx.zip")
            with app.test_request_context(base_url=base):
                n = exports.write_zip(
                    db.session, path, ids, render_transaction_pdf, customs_id=acc.customs_id
                )
            return n, os.path.getsize(path)

        in_child("XLSX, 500 rows of the EU Transactions list", xlsx)
        in_child("ZIP, 25 transactions (PDF + XML)", zip25)
        add_accounts(db.session, 10_000)

        def accounts():
            actor = db.session.get(Account, acc.id)
            admin = db.session.scalar(
                select(Account).where(Account.customs_id == acc.customs_id, Account.role == "admin")
            )
            stmt = organisation.account_list(admin or actor)
            path = os.path.join(storage, "accounts.xlsx")
            rows = organisation.account_rows(db.session, stmt)
            return organisation.write_accounts_xlsx(path, rows, 10_000), os.path.getsize(path)

        in_child("Accounts export (10,000 accounts)", accounts)
        if args.no_reconcile:
            return

        print("\nReconciliation:")
        s = db.session
        if full or rec.last_run(s) is None:
            t0 = time.perf_counter()
            r = rec.run(s, full=True)
            s.commit()
            print(
                f"| full | {r.carnets:,} carnets, {r.to_check:,} to check | "
                f"{time.perf_counter() - t0:.1f} s | {load()} |",
                flush=True,
            )
        # 1 % of the carnets get a new (re-dated) transaction, as bench/monitoring_reconcile.py
        s.execute(text("SET LOCAL session_replication_role = replica"))  # evidence triggers off
        s.execute(
            text(
                "UPDATE carnet_transaction SET committed_at = now() WHERE id IN (SELECT min(id) "
                "FROM carnet_transaction WHERE carnet_id % 100 = 7 GROUP BY carnet_id)"
            )
        )
        s.commit()
        t0 = time.perf_counter()
        r = rec.run(s)
        s.commit()
        print(
            f"| incremental, re-dated | {r.carnets:,} carnets | {time.perf_counter() - t0:.2f} s "
            f"| {load()} |",
            flush=True,
        )
        # results that change: 1 % of the carnets still valid expire today; tomorrow's run
        # turns their N/A statuses into Terminated / To check and writes their missing lines
        s.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(
            text(
                "UPDATE carnet SET valid_until = current_date WHERE id % 100 = :residue "
                "AND valid_until > current_date AND archived_at IS NULL"
            ),
            {"residue": args.expire_residue},
        )
        s.commit()
        t0 = time.perf_counter()
        r = rec.run(s, today=dt.date.today() + dt.timedelta(days=1))
        s.commit()
        print(
            f"| incremental, expired | {r.carnets:,} carnets, {r.to_check:,} to check | "
            f"{time.perf_counter() - t0:.2f} s | {load()} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
