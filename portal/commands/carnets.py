"""`flask carnet audit`: a carnet's audit trail."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.commands.common import fail
from portal.extensions import db

carnet_cli = AppGroup("carnet", help="The carnet registry.")


@carnet_cli.command("audit")
@click.argument("eata_id", type=int)
def carnet_audit(eata_id) -> None:
    """Print the audit trail of a carnet: who, when, from which client or account, what."""
    from portal.domain import DomainError
    from portal.domain.carnets import audit_lines, get_by_eata_id

    with db.new_session() as session:
        try:
            carnet = get_by_eata_id(session, eata_id)
        except DomainError as error:
            fail(error)
        click.echo(f"Carnet {carnet.carnet_number} (eATA ID {carnet.eata_id})")
        for line in audit_lines(session, eata_id):
            click.echo(
                f"{line['at']:%d/%m/%Y %H:%M:%S} UTC  {line['action']:<22} "
                f"{line['actor']}  {line['changes']}"
            )
