"""Operator commands: `flask db upgrade`, `flask refdata load`, `flask demo load`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
refdata_cli = AppGroup("refdata", help="Reference data: countries, currencies, territories.")
demo_cli = AppGroup("demo", help="Demo data for the embedded default.")


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


def register(app: Flask) -> None:
    for group in (db_cli, refdata_cli, demo_cli):
        app.cli.add_command(group)
