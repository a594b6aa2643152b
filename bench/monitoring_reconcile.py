"""Benchmark: reconciliation (F-60, F-61) and exports (F-64) at scale on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_monitor \\
      /work/main/.venv/bin/python bench/monitoring_reconcile.py --carnets 150000

It (re)creates the schema of that database (never point it at data you keep), then generates
with set-based INSERT … SELECT over generate_series (no ORM): N carnets of 2 goods items, one
travel each, and 7 transactions per carnet (validation, export, import, re-export, re-import,
transit open, transit close — 1.05 M transactions for 150,000 carnets, 2.1 M transaction lines); one carnet
in ten misses its re-exportation and re-importation, half of the carnets are expired. Then it
times: the full reconciliation, an incremental run after 1 % of the carnets got a new
transaction, the 500-row XLSX export and the 25-transaction ZIP export (PDF + XML each).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

KINDS = ["validation", "export", "import", "reexport", "reimport", "transit_open", "transit_close"]


def reset(url: str) -> None:
    if not url.startswith("postgresql"):
        raise SystemExit("BENCH_DATABASE_URL must point at a PostgreSQL bench database")
    if url.rsplit("/", 1)[-1] in ("test", "eata") or "/test_" in url:
        raise SystemExit("refusing to wipe that database: use a bench database (bench_monitor)")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def generate(s, n: int) -> dict:
    from portal.domain import api_clients
    from portal.models import Country

    nga = api_clients.create_nga(s, "CH", "Bench NGA CH")
    s.commit()
    ch = s.get(Country, "CH").territory_id
    eu = s.get(Country, "DE").territory_id
    p = {"n": n, "nga": nga.id, "ch": ch, "eu": eu}
    steps = [
        (
            "holder",
            """INSERT INTO holder (kind, company_name, title, given_names, surname, email,
            street, postal_code, city, state, country_code, phone, active, created_at)
            VALUES ('private','','','Bench','Holder','bench@example.test','','','','','CH','',
                    true, now())""",
        ),
        (
            "carnets",
            """INSERT INTO carnet (id, eata_id, carnet_number, carnet_type, order_type,
            format, nga_id, departure_country, issue_date, valid_until, intended_use, currency,
            holder_enc, representatives_enc, item_count, total_value, status, status_reason,
            pin_hash, created_at, updated_at)
            SELECT i, 100000 + i, 'CHB' || lpad(i::text, 9, '0'), 'ATA', 'original', 'digital',
                   :nga, 'CH', current_date - 400,
                   CASE WHEN i % 2 = 0 THEN current_date - 10 ELSE current_date + 200 END,
                   'exhibition', 'CHF', 'x', 'x', 2, 1000, 'issued', '', 'x', now(), now()
            FROM generate_series(1, :n) AS i""",
        ),
        (
            "goods items",
            """INSERT INTO goods_item (id, carnet_id, item_no, pieces, description_enc,
            origin_country, value)
            SELECT 2 * (i - 1) + k, i, k, 1, 'x', 'CH', 500
            FROM generate_series(1, :n) AS i, generate_series(1, 2) AS k""",
        ),
        (
            "travels",
            """INSERT INTO travel (id, carnet_id, holder_id, nickname, departure_country,
            destination_country, transit_countries, location, transport_mode, extra_details,
            packaging_details, sets_consumed, created_at, updated_at)
            SELECT i, i, (SELECT min(id) FROM holder), '', 'CH', 'DE', '[]', '', 'air', '', '',
                   '{}', now(), now()
            FROM generate_series(1, :n) AS i""",
        ),
        (
            "vouchers",
            """INSERT INTO voucher (id, travel_id, carnet_id, position, kind, country_code,
            territory_id, code_hash, code_enc, state, lock_seq, created_at)
            SELECT 7 * (i - 1) + k, i, i, k, (CAST(:kinds AS text[]))[k],
                   CASE WHEN k IN (3, 4, 6, 7) THEN 'DE' ELSE 'CH' END,
                   CASE WHEN k IN (3, 4, 6, 7) THEN :eu ELSE :ch END,
                   md5('v' || i || '-' || k), 'x', 'used', 0, now()
            FROM generate_series(1, :n) AS i, generate_series(1, 7) AS k
            WHERE NOT (i % 10 = 0 AND k IN (4, 5))""",
        ),
        (
            "transactions",
            """INSERT INTO carnet_transaction (id, voucher_id, carnet_id, kind, state,
            territory_id, country_code, officer_name, office_name, committed_at, customs_seals,
            action_not_reexported, action_not_produced, reference, remarks, signed_name,
            verification_code_hash, verification_code_enc, cancellation_code_hash,
            cancellation_code_enc)
            SELECT v.id, v.id, v.carnet_id, v.kind, 'committed', v.territory_id, v.country_code,
                   'Bench officer', CASE WHEN v.country_code = 'DE' THEN 'Berlin' ELSE 'Zurich' END,
                   now() - interval '300 days' + v.position * interval '1 day', '', '', '', '',
                   '', 'Bench Holder', md5('vc' || v.id), 'x', md5('cc' || v.id), 'x'
            FROM voucher v""",
        ),
        (
            "transaction lines",
            """INSERT INTO transaction_item (transaction_id, goods_item_id,
            item_no, quantity, line)
            SELECT t.id, 2 * (t.carnet_id - 1) + k, k, 1, 'cleared'
            FROM carnet_transaction t, generate_series(1, 2) AS k""",
        ),
    ]
    for label, sql in steps:
        t0 = time.perf_counter()
        s.execute(text(sql), {**p, "kinds": KINDS})
        s.commit()
        print(f"  generated {label:18s} {time.perf_counter() - t0:6.1f} s", flush=True)
    for seq, table in (
        ("carnet_id_seq", "carnet"),
        ("goods_item_id_seq", "goods_item"),
        ("travel_id_seq", "travel"),
        ("voucher_id_seq", "voucher"),
        ("carnet_transaction_id_seq", "carnet_transaction"),
    ):
        s.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))"))
    s.execute(text("ANALYZE"))
    s.commit()
    counts = {
        t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
        for t in ("carnet", "carnet_transaction", "transaction_item")
    }
    return {**p, **counts}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--carnets", type=int, default=150_000)
    args = ap.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    reset(url)
    from portal import create_app
    from portal.domain import exports, logs
    from portal.domain import reconciliation as rec
    from portal.domain.refdata import load_reference_data
    from portal.extensions import db
    from portal.migrate import upgrade

    instance = tempfile.mkdtemp(prefix="eata-bench-monitor-")
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_DIR": instance,
            "STORAGE_DIR": os.path.join(instance, "storage"),
        }
    )
    upgrade(url)
    with app.app_context(), db.new_session() as s:
        load_reference_data(s)
        s.commit()
        t0 = time.perf_counter()
        info = generate(s, args.carnets)
        print(
            f"generated {info['carnet']} carnets, {info['carnet_transaction']} transactions, "
            f"{info['transaction_item']} lines in {time.perf_counter() - t0:.1f} s"
        )

        t0 = time.perf_counter()
        full = rec.run(s, full=True)
        s.commit()
        print(
            f"full reconciliation: {full.carnets} carnets, {full.to_check} to check, "
            f"{time.perf_counter() - t0:.1f} s"
        )

        changed = max(1, args.carnets // 100)
        s.execute(
            text("""UPDATE carnet_transaction SET committed_at = now()
                          WHERE id IN (SELECT min(id) FROM carnet_transaction
                                       WHERE carnet_id % 100 = 7 GROUP BY carnet_id)""")
        )
        s.commit()
        t0 = time.perf_counter()
        inc = rec.run(s)
        s.commit()
        print(
            f"incremental reconciliation ({changed} carnets changed): {inc.carnets} carnets, "
            f"{time.perf_counter() - t0:.2f} s"
        )

        t0 = time.perf_counter()
        f = logs.parse_filters({"status": "all"})
        today = __import__("datetime").date.today()
        headers, rows = exports.list_rows(s, "transactions", info["eu"], f, today)
        path = os.path.join(instance, "list.xlsx")
        exports.write_xlsx(path, headers, rows)
        print(
            f"XLSX export: {len(rows)} rows, {os.path.getsize(path) // 1024} KB, "
            f"{time.perf_counter() - t0:.2f} s"
        )

        from jobs.monitoring import render_transaction_pdf

        ids = [
            r
            for r in s.execute(
                text("SELECT id FROM carnet_transaction ORDER BY id LIMIT 25")
            ).scalars()
        ]
        t0 = time.perf_counter()
        path = os.path.join(instance, "tx.zip")
        n = exports.write_zip(s, path, ids, render_transaction_pdf)
        print(
            f"ZIP export: {n} transactions (PDF + XML), {os.path.getsize(path) // 1024} KB, "
            f"{time.perf_counter() - t0:.2f} s"
        )


if __name__ == "__main__":
    main()
