"""`flask jobs worker / scheduler` (background jobs) and `flask outbox drain`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: the RQ worker and the daily scheduler.")
outbox_cli = AppGroup("outbox", help="Emails and notifications waiting to be sent.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queues", default=None, help="Comma-separated queues (default JOBS_QUEUES).")
def jobs_worker(burst: bool, queues: str | None) -> None:
    """Run an RQ worker on the configured queues (needs REDIS_URL)."""
    from jobs.worker import run_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inline, there is no queue.")
    names = [q.strip() for q in queues.split(",")] if queues else None
    run_worker(app, burst=burst, names=names)


@jobs_cli.command("scheduler")
@click.option("--interval", default=20.0, help="Seconds between two checks.")
@click.option("--once", is_flag=True, help="Enqueue what is due now and stop.")
def jobs_scheduler(interval: float, once: bool) -> None:
    """Enqueue the daily jobs (05:00 UTC) and the periodic ones (outbox drain)."""
    from jobs.scheduler import DAILY, Scheduler, register_builtin

    register_builtin()
    click.echo("daily jobs: " + ", ".join(f"{d.name} at {d.at:%H:%M} UTC" for d in DAILY.values()))
    Scheduler(current_app._get_current_object()).run(interval, ticks=1 if once else None)


@outbox_cli.command("drain")
def outbox_drain() -> None:
    """Send the due emails of the outbox now."""
    from jobs.tasks import drain_outbox

    counts = drain_outbox()
    click.echo(f"sent: {counts['sent']}, failed: {counts['failed']}")
