"""`flask refdata load`: countries, currencies, customs territories, ATA statuses (idempotent).
The engine's caches of reference data in this process are dropped as the rows are written
(portal/domain/refdata_cache.py); other processes see the change within REFDATA_TTL."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

refdata_cli = AppGroup("refdata", help="Reference data: countries, currencies, territories.")


@refdata_cli.command("load")
@click.option("--status-file", default=None, help="CSV of country,status,digital_from,notified_on")
def refdata_load(status_file: str | None) -> None:
    """Load countries, currencies, customs territories and ATA statuses (idempotent)."""
    from portal.domain.refdata import ATA_STATUS_FILE, load_reference_data

    with db.new_session() as session:
        counts = load_reference_data(session, status_file or ATA_STATUS_FILE)
        session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
