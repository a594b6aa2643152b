"""`flask ops create-operator`: an account of the operator's console (ops.<domain>);
`flask info reindex`: the search index of the guides and the directory written again."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

ops_cli = AppGroup("ops", help="The operator's console (ops.<domain>).")
info_cli = AppGroup("info", help="News, directory, help and their search (F-80 … F-82).")


@ops_cli.command("create-operator")
@click.option("--email", required=True, help="Login email of the operator")
@click.option("--name", "full_name", required=True, help="Full name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (asked when not given); TOTP is enrolled at the first login",
)
def create_operator(email: str, full_name: str, password: str) -> None:
    """Create an operator; they enrol their authenticator app at the first login."""
    from portal.domain import DomainError
    from portal.domain.info.operators import create_operator as create

    session = db.session
    try:
        operator = create(session, email, full_name, password)  # audited as the command line
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Created operator {operator.email}: log in at ops.<domain> and enrol TOTP.")


@info_cli.command("reindex")
def reindex() -> None:
    """Write the search entries of the guides and the directory again."""
    from portal.domain.info import directory, help

    n = help.index_guides(db.session) + directory.reindex(db.session)
    db.session.commit()
    click.echo(f"{n} search entries written.")
