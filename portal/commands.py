"""Operator commands: `flask db upgrade`, `flask refdata load`, `flask demo load`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
refdata_cli = AppGroup("refdata", help="Reference data: countries, currencies, territories.")
demo_cli = AppGroup("demo", help="Demo data for the embedded default.")
customs_cli = AppGroup("customs", help="Customs administrations (operator).")
jobs_cli = AppGroup("jobs", help="Background jobs: the RQ worker and the daily scheduler.")
outbox_cli = AppGroup("outbox", help="Emails and notifications waiting to be sent.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    from portal.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@refdata_cli.command("load")
@click.option("--status-file", default=None, help="CSV of country,status,digital_from,notified_on")
def refdata_load(status_file: str | None) -> None:
    """Load countries, currencies, customs territories and ATA statuses (idempotent)."""
    from portal.domain.refdata import ATA_STATUS_FILE, load_reference_data

    with db.new_session() as session:
        counts = load_reference_data(session, status_file or ATA_STATUS_FILE)
        session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo administrations (BE, FR, CH) with one account per role."""
    from portal.domain.demo import DEMO_PASSWORD, load_demo_data
    from portal.domain.refdata import load_reference_data

    with db.new_session() as session:
        load_reference_data(session)
        logins = load_demo_data(session)
        session.commit()
    scheme, domain = current_app.config["EATA_SCHEME"], current_app.config["EATA_DOMAIN"]
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for code, email, role in logins:
        click.echo(f"  {scheme}://customs-{code}.{domain}/  {email:40} {role}")
    click.echo("Admins enrol an authenticator app (TOTP) at their first login.")


@customs_cli.command("create")
@click.option("--code", required=True, help="Two-letter code: the portal is customs-<code>.<domain>")
@click.option("--name", required=True, help='Name, e.g. "Belgian Customs"')
@click.option("--country", required=True, help="ISO 3166 country code; gives the customs territory")
@click.option("--admin-email", required=True, help="Email of the first admin")
@click.option("--admin-name", required=True, help="Full name of the first admin")
def customs_create(code: str, name: str, country: str, admin_email: str, admin_name: str) -> None:
    """Create a customs administration and its first admin; prints the invitation link."""
    from portal.blueprints.auth.emails import send_account_invitation
    from portal.domain import DomainError
    from portal.domain.identity import create_administration

    session = db.session
    try:
        administration, admin = create_administration(
            session, code=code, name=name, country_code=country, admin_email=admin_email,
            admin_name=admin_name)
        link = send_account_invitation(admin)
        from portal.domain import audit

        audit.record(session, "customs.created", actor_type="operator", actor_label="cli",
                     customs_id=administration.id, object_type="customs_administration",
                     object_id=administration.id, data={"admin": admin.email})
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {administration.name} ({administration.code}, territory "
               f"{administration.territory.code}) with admin {admin.email}.")
    click.echo(f"Invitation link (valid {administration.invitation_days} days, also emailed):")
    click.echo(link)


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


def register(app: Flask) -> None:
    for group in (db_cli, refdata_cli, demo_cli, customs_cli, jobs_cli, outbox_cli):
        app.cli.add_command(group)
