"""`flask demo load`: the demo administrations (BE, FR, CH) and a demo carnet."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

demo_cli = AppGroup("demo", help="Demo data for the embedded default.")


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
    click.echo(
        f"Demo carnet {number}, eATA ID {eata_id}: download it in the wallet at "
        f"{scheme}://wallet.{domain}/ "
        + (f"with the PIN {pin}" if pin else "(its PIN was printed when it was issued)")
    )
    from portal.domain.demo import DEMO_HOLDER_EMAIL, DEMO_HOLDER_PIN, load_demo_predeclaration

    with db.new_session() as session:
        made = load_demo_predeclaration(session)
        session.commit()
    if made:
        click.echo(
            f"Demo wallet holder {DEMO_HOLDER_EMAIL} (password {DEMO_PASSWORD}, wallet PIN "
            f"{DEMO_HOLDER_PIN}) has the demo carnet and a pending pre-declaration of its "
            "validation at Antwerp Port: see Pre-declarations as the Belgian officer."
        )
    from portal.domain.info.demo import load_demo_info

    with db.new_session() as session:
        operator = load_demo_info(session)
        session.commit()
    click.echo(
        f"News, directory, help and search: operator console at {scheme}://ops.{domain}/console/ "
        f"as {operator} (password {DEMO_PASSWORD}; enrol TOTP at the first login)."
    )
    from portal.domain.demo import DEMO_ASSOCIATION, load_demo_chamber

    with db.new_session() as session:
        staff = load_demo_chamber(session)
        session.commit()
    if staff:
        click.echo(
            f"Issuing association staff ({DEMO_ASSOCIATION}, issuer of the demo carnet): "
            f"{scheme}://chamber.{domain}/chamber/login as {staff} (password {DEMO_PASSWORD}; "
            "enrol TOTP at the first login)."
        )
