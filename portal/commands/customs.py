"""`flask customs create`: a customs administration and its first admin (operator)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

customs_cli = AppGroup("customs", help="Customs administrations (operator).")


@customs_cli.command("create")
@click.option(
    "--code", required=True, help="Two-letter code: the portal is customs-<code>.<domain>"
)
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
            session,
            code=code,
            name=name,
            country_code=country,
            admin_email=admin_email,
            admin_name=admin_name,
        )
        link = send_account_invitation(admin)
        from portal.domain import audit

        audit.record(
            session,
            "customs.created",
            actor_type="operator",
            actor_label="cli",
            customs_id=administration.id,
            object_type="customs_administration",
            object_id=administration.id,
            data={"admin": admin.email},
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Created {administration.name} ({administration.code}, territory "
        f"{administration.territory.code}) with admin {admin.email}."
    )
    click.echo(f"Invitation link (valid {administration.invitation_days} days, also emailed):")
    click.echo(link)


@customs_cli.command("sso-off")
@click.option("--code", required=True, help="Two-letter code of the administration")
def customs_sso_off(code: str) -> None:
    """Switch single sign-on off and the email + password login back on (F-19): the way back
    in when the provider fails while it was the only login."""
    from sqlalchemy import select

    from portal.domain import audit, sso
    from portal.domain.organisation.base import jsonable
    from portal.models import CustomsAdministration

    session = db.session
    administration = session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == code.lower())
    )
    if administration is None:
        raise click.ClickException(f"No customs administration with code {code!r}.")
    changes = sso.switch_off(session, administration)
    if changes:
        audit.record(
            session,
            "sso.update",
            actor_type="operator",
            actor_label="cli",
            customs_id=administration.id,
            object_type="ssoprovider",
            object_id=sso.provider_of(session, administration.id).id,
            data=jsonable(changes),
        )
    session.commit()
    click.echo(f"{administration.name}: single sign-on is off, the email and password login is on.")
