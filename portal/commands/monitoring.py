"""`flask monitoring rebuild-history`: recompute the R-04 read model (docs/monitoring.md)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.extensions import db

monitoring_cli = AppGroup("monitoring", help="Monitoring: the history read model.")


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
