"""Bench F-16: 10,000 customs accounts in one Excel file.

    /work/main/.venv/bin/python bench/bulk_accounts.py [--rows 10000] [--drain]
    BENCH_DATABASE_URL=postgresql+psycopg://…/scratch_db  (optional; the schema is RESET)

Measures: building the file from the downloaded template, upload + validate (hostile-file guard,
openpyxl read-only parse, every row validated, the cleaning session stored), the import job
(one transaction: accounts, audit events, outbox invitations), the accounts export job of every
account and, with --drain, sending the invitations. Peak memory is the process's maximum resident set size (getrusage).
Targets: validate < 10 s, import < 60 s, accounts export of every account < 10 s.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def heap(args) -> str:
    if not args.tracemalloc:
        return ""
    peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    tracemalloc.reset_peak()
    return f"  Python heap peak {peak:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--drain", action="store_true", help="also send the invitations")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="report the Python heap peak of each phase (slower)",
    )
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="eata-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    from openpyxl import load_workbook
    from sqlalchemy import func, select

    from portal import create_app
    from portal.domain import bulk
    from portal.domain.demo import load_demo_data
    from portal.domain.refdata import load_reference_data
    from portal.extensions import db
    from portal.migrate import upgrade
    from portal.models import Account, CustomsAdministration, Office
    from portal.models.jobs import Job, OutboxMessage

    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "JOBS_INLINE": True,
            "INSTANCE_DIR": tmp,
            "STORAGE_DIR": f"{tmp}/storage",
            "MAIL_OUTBOX_DIR": f"{tmp}/mail",
            "MAIL_SERVER": "",
            "EATA_DOMAIN": "eata.test",
            "PASSWORD_HASH_FAST": True,
        }
    )
    upgrade(url)
    with app.app_context(), db.new_session() as s:
        load_reference_data(s)
        load_demo_data(s)
        s.commit()
        be = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
        admin = s.scalar(
            select(Account).where(Account.customs_id == be.id, Account.role == "admin")
        )
        offices = list(s.scalars(select(Office.name).where(Office.customs_id == be.id)))

        t0 = time.perf_counter()
        template = bulk.build_template(s, be, "account", 20_000)
        t_template = time.perf_counter() - t0
        wb = load_workbook(io.BytesIO(template))
        ws = wb["Accounts"]
        roles = ["Officer", "Officer", "Officer", "Controller", "Regional manager"]
        for i in range(args.rows):
            ws.append(
                [
                    f"Officer {i:05d}",
                    f"officer{i:05d}@customs-be.example",
                    roles[i % len(roles)],
                    offices[i % len(offices)],
                    None,
                    "Yes",
                ]
            )
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        del wb, ws
        print(
            f"file: {args.rows:,} rows, {len(data) / 1024:,.0f} KB "
            f"(template built in {t_template:.2f} s)"
        )

        rss0 = rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        t0 = time.perf_counter()
        bs = bulk.upload(s, be, admin, "account", "bench.xlsx", data)
        s.commit()
        t_validate = time.perf_counter() - t0
        rss1 = rss_mb()
        print(
            f"upload + validate: {t_validate:.2f} s  rows={bs.row_count:,} "
            f"errors={bs.error_count}  peak RSS {rss1:,.0f} MB (+{rss1 - rss0:,.0f})" + heap(args)
        )

        t0 = time.perf_counter()
        job = bulk.begin_import(s, bs, admin)
        s.commit()
        job_id = job.id

    from jobs.tasks import send_outbox_message

    with app.app_context():
        from jobs.runtime import run_tracked

        def work(session, job, progress):
            return bulk.import_session(session, job.params["bulk_session_id"], progress)

        run_tracked(job_id, work, on_failure=bulk.release_after_failure)
    t_import = time.perf_counter() - t0
    rss2 = rss_mb()
    with app.app_context(), db.new_session() as s:
        job = s.get(Job, job_id)
        created = s.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.email.like("officer%@customs-be.example"))
        )
        pending = s.scalar(select(func.count()).select_from(OutboxMessage))
    print(
        f"import job: {t_import:.2f} s  status={job.status}  created={created:,}  "
        f"invitations queued={pending:,}  peak RSS {rss2:,.0f} MB" + heap(args)
    )

    # the accounts export (F-14) of every account: the job the list's Export button starts
    from jobs.tasks import export_accounts
    from portal.domain import jobs as domain_jobs

    with app.app_context(), db.new_session() as s:
        be = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
        admin = s.scalar(
            select(Account).where(Account.customs_id == be.id, Account.role == "admin")
        )
        export_job = domain_jobs.create_job(
            s, "export_accounts", customs_id=be.id, account_id=admin.id, params={"filters": {}}
        )
        s.commit()
        export_id = export_job.id
    t0 = time.perf_counter()
    with app.app_context():
        export_accounts(export_id)
    t_export = time.perf_counter() - t0
    with app.app_context(), db.new_session() as s:
        job = s.get(Job, export_id)
        print(f"accounts export job: {t_export:.2f} s  status={job.status}  {job.message}")

    if args.drain:
        from portal.domain import outbox

        t0 = time.perf_counter()
        with app.app_context(), db.new_session() as s:
            sent = 0
            while True:
                n = outbox.drain(s, send_outbox_message, limit=1000)["sent"]
                sent += n
                if not n:
                    break
        print(f"outbox drain: {sent:,} invitations sent in {time.perf_counter() - t0:.2f} s")
    print(f"database: {url.split('@')[-1]}")


if __name__ == "__main__":
    main()
