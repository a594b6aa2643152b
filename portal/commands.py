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
    from portal.domain.demo import load_demo_carnet

    with db.new_session() as session:
        eata_id, number, pin = load_demo_carnet(session)
        session.commit()
    click.echo(f"Demo carnet {number}, eATA ID {eata_id}: download it in the wallet at "
               f"{scheme}://wallet.{domain}/ " + (f"with the PIN {pin}" if pin else
                                                    "(its PIN was printed when it was issued)"))


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


nga_cli = AppGroup("nga", help="National guaranteeing associations and their chambers.")
api_client_cli = AppGroup("api-client", help="Credentials of NICS systems (OAuth clients).")
keys_cli = AppGroup("keys", help="Data keys of the encryption at rest (EATA_DATA_KEYS).")
carnet_cli = AppGroup("carnet", help="The carnet registry.")


def _fail(error) -> None:
    raise click.ClickException(error.message)


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
            nga = create_nga(session, country, name, street=street, postal_code=postal_code,
                             city=city, email=email, phone=phone)
        except DomainError as error:
            _fail(error)
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
            ia = create_issuing_association(session, find_nga(session, nga), name, city=city,
                                            email=email)
        except DomainError as error:
            _fail(error)
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
            client, secret = create_client(session, name, nga=find_nga(session, nga_ref),
                                           scopes=tuple(scopes) or None)
        except DomainError as error:
            _fail(error)
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
        admin = session.scalar(select(CustomsAdministration).where(
            CustomsAdministration.code == code.lower()))
        if admin is None:
            _fail(DomainError(f"No customs administration with the code {code!r}."))
        try:
            client, secret = create_client(session, name, customs_id=admin.id,
                                           scopes=tuple(scopes) or None)
        except DomainError as error:
            _fail(error)
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
            _fail(error)
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
            _fail(error)
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


@keys_cli.command("new")
@click.argument("kid")
def keys_new(kid) -> None:
    """Print a fresh data key entry KID:base64 to put first in EATA_DATA_KEYS."""
    from portal.domain.crypto import new_key_spec

    click.echo(new_key_spec(kid))


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every carnet with the first key of EATA_DATA_KEYS (the others must still be
    listed until this has run)."""
    from portal.domain import crypto
    from portal.domain.carnets import rotate_keys

    with db.new_session() as session:
        counts = rotate_keys(session)
    click.echo(f"re-encrypted under {crypto.keyring().primary}: "
               + ", ".join(f"{k}: {v}" for k, v in counts.items()))


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
            _fail(error)
        click.echo(f"Carnet {carnet.carnet_number} (eATA ID {carnet.eata_id})")
        for line in audit_lines(session, eata_id):
            click.echo(f"{line['at']:%d/%m/%Y %H:%M:%S} UTC  {line['action']:<22} "
                       f"{line['actor']}  {line['changes']}")


def register(app: Flask) -> None:
    for group in (
        db_cli,
        refdata_cli,
        demo_cli,
        customs_cli,
        jobs_cli,
        outbox_cli,
        nga_cli,
        api_client_cli,
        keys_cli,
        carnet_cli,
    ):
        app.cli.add_command(group)
