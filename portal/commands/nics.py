"""`flask nga …` (national guaranteeing associations and their chambers) and
`flask api-client …` (credentials of NICS systems and of customs systems, OAuth clients)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.commands.common import fail
from portal.extensions import db

nga_cli = AppGroup("nga", help="National guaranteeing associations and their chambers.")
api_client_cli = AppGroup("api-client", help="Credentials of NICS systems (OAuth clients).")


@nga_cli.command("create")
@click.option("--country", required=True, help="ISO 3166 code of the NGA's country, e.g. BE")
@click.option("--name", required=True)
@click.option("--street", default="")
@click.option("--postal-code", default="")
@click.option("--city", default="")
@click.option("--email", default="")
@click.option("--phone", default="")
def nga_create(country, name, street, postal_code, city, email, phone) -> None:
    """Register an NGA."""
    from portal.domain import DomainError
    from portal.domain.api_clients import create_nga

    with db.new_session() as session:
        try:
            nga = create_nga(
                session,
                country,
                name,
                street=street,
                postal_code=postal_code,
                city=city,
                email=email,
                phone=phone,
            )
        except DomainError as error:
            fail(error)
        session.commit()
        click.echo(f"NGA {nga.id}: {nga.name} ({nga.country_code})")


@nga_cli.command("add-association")
@click.argument("nga")
@click.option("--name", required=True)
@click.option("--city", default="")
@click.option("--email", default="")
def nga_add_association(nga, name, city, email) -> None:
    """Add an issuing association (chamber) under NGA (id or name)."""
    from portal.domain import DomainError
    from portal.domain.api_clients import create_issuing_association, find_nga

    with db.new_session() as session:
        try:
            ia = create_issuing_association(
                session, find_nga(session, nga), name, city=city, email=email
            )
        except DomainError as error:
            fail(error)
        session.commit()
        click.echo(f"Issuing association {ia.id}: {ia.name}")


@nga_cli.command("list")
def nga_list() -> None:
    """List NGAs, their associations and API clients."""
    from sqlalchemy import select

    from portal.models import NGA, ApiClient

    with db.new_session() as session:
        for nga in session.scalars(select(NGA).order_by(NGA.country_code, NGA.name)):
            click.echo(f"{nga.id:>4} {nga.country_code} {nga.name}")
            for ia in nga.associations:
                click.echo(f"       association {ia.id}: {ia.name}")
            for c in session.scalars(select(ApiClient).where(ApiClient.nga_id == nga.id)):
                state = "active" if c.active else f"revoked {c.revoked_at:%d/%m/%Y}"
                click.echo(f"       client {c.client_id} ({c.name}, {c.scopes}) {state}")


def _show_secret(client, secret: str) -> None:
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("The secret is shown once and stored only as a keyed hash: keep it now.")


@api_client_cli.command("create")
@click.option("--nga", "nga_ref", required=True, help="NGA id or name")
@click.option("--name", required=True, help="what the client is, e.g. 'FEB NICS production'")
@click.option("--scope", "scopes", multiple=True, help="default: carnets:read carnets:write")
def api_client_create(nga_ref, name, scopes) -> None:
    """Create an API client for an NGA's system; prints its secret once."""
    from portal.domain import DomainError
    from portal.domain.api_clients import create_client, find_nga

    with db.new_session() as session:
        try:
            client, secret = create_client(
                session, name, nga=find_nga(session, nga_ref), scopes=tuple(scopes) or None
            )
        except DomainError as error:
            fail(error)
        session.commit()
        _show_secret(client, secret)


@api_client_cli.command("create-customs")
@click.option("--customs", "code", required=True, help="the administration's code, e.g. be")
@click.option("--name", required=True, help="what the client is, e.g. 'BE customs NCTS bridge'")
@click.option("--scope", "scopes", multiple=True, help="default: customs:read customs:write")
def api_client_create_customs(code, name, scopes) -> None:
    """Create a client of the customs integration API (F-49) for an administration's system;
    prints its secret once."""
    from sqlalchemy import select

    from portal.domain import DomainError
    from portal.domain.api_clients import create_client
    from portal.models import CustomsAdministration

    with db.new_session() as session:
        admin = session.scalar(
            select(CustomsAdministration).where(CustomsAdministration.code == code.lower())
        )
        if admin is None:
            fail(DomainError(f"No customs administration with the code {code!r}."))
        try:
            client, secret = create_client(
                session, name, customs_id=admin.id, scopes=tuple(scopes) or None
            )
        except DomainError as error:
            fail(error)
        session.commit()
        _show_secret(client, secret)


@api_client_cli.command("rotate")
@click.argument("client_id")
def api_client_rotate(client_id) -> None:
    """Give CLIENT_ID a new secret; the old secret and its tokens stop working at once."""
    from portal.domain import DomainError
    from portal.domain.api_clients import find_client, rotate_secret

    with db.new_session() as session:
        try:
            client = find_client(session, client_id)
            secret = rotate_secret(session, client)
        except DomainError as error:
            fail(error)
        session.commit()
        _show_secret(client, secret)


@api_client_cli.command("revoke")
@click.argument("client_id")
def api_client_revoke(client_id) -> None:
    """Revoke CLIENT_ID for good; its tokens stop working at once."""
    from portal.domain import DomainError
    from portal.domain.api_clients import find_client, revoke_client

    with db.new_session() as session:
        try:
            revoke_client(session, find_client(session, client_id))
        except DomainError as error:
            fail(error)
        session.commit()
    click.echo(f"{client_id} revoked")


@api_client_cli.command("purge")
def api_client_purge() -> None:
    """Delete expired tokens and idempotency records older than a day."""
    from portal.domain import idempotency
    from portal.domain.api_clients import purge_expired_tokens

    with db.new_session() as session:
        tokens = purge_expired_tokens(session)
        records = idempotency.purge(session)
        session.commit()
    click.echo(f"{tokens} expired tokens and {records} idempotency records deleted")
