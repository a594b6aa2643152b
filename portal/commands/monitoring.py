"""`flask monitoring rebuild-history`: recompute the R-04 read model; `flask monitoring archive`:
move the closed carnets to the archive tables (docs/monitoring.md)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.extensions import db

monitoring_cli = AppGroup("monitoring", help="Monitoring: the history read model, the archive.")


@monitoring_cli.command("rebuild-history")
def monitoring_rebuild_history() -> None:
    """Recompute `carnet_territory` (when each carnet entered each customs territory, its final
    re-importation) from the transactions, in one set-based statement and one transaction.
    The engine keeps it right on every commit and cancellation; this is for repairs and
    restores."""
    from portal.domain import history

    started = time.perf_counter()
    with db.new_session() as session:
        rows = history.rebuild(session)
        session.commit()
    click.echo(f"carnet_territory rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s")


@monitoring_cli.command("archive")
@click.option("--dry-run", is_flag=True, help="Count what would move; change nothing.")
@click.option("--days", type=int, default=None, help="Instead of ARCHIVE_AFTER_DAYS (0: never).")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True)
def monitoring_archive(dry_run: bool, days: int | None, batch_size: int) -> None:
    """Move the closed carnets older than ARCHIVE_AFTER_DAYS (expired, reconciled, no active
    claim) to the archive tables, one database transaction per batch of carnets
    (docs/monitoring.md "Archive"). Safe to stop and run again."""
    from portal.db import now_utc
    from portal.domain import archive

    days = archive.after_days() if days is None else archive.days_or_none(days)
    if days is None:
        click.echo("Archiving is off (ARCHIVE_AFTER_DAYS=0): nothing to do.")
        return
    today = now_utc().date()
    started = time.perf_counter()
    with db.new_session() as session:
        if dry_run:
            plan = archive.plan(session, today, days)
            click.echo(
                f"would archive {plan.carnets} carnets ({plan.transactions} transactions) "
                f"expired before {archive.cutoff(today, days).isoformat()}"
            )
            return

        def report(done: archive.Result) -> None:
            click.echo(f"  … {done.carnets} carnets, {done.transactions} transactions")

        result = archive.run(
            session, today=today, days=days, batch_size=batch_size, progress=report
        )
    click.echo(
        f"archived {result.carnets} carnets ({result.transactions} transactions) in "
        f"{result.batches} batches, {time.perf_counter() - started:.1f} s"
    )
