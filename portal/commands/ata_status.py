"""`flask ata-status list / history / announce / confirm / withdraw`: each country's ATA status
(F-70, portal/domain/ata_status.py). A change applies to the country's whole customs territory,
is audited, and emails every customs administration's admins and every NGA (outbox)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from portal.extensions import db

ata_status_cli = AppGroup(
    "ata-status", help="ATA status (paper / digital from a date) per country."
)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD).", param_hint=name
        ) from None


def _run(action, *args, **kwargs) -> None:
    from portal.domain import DomainError

    session = db.session
    try:
        change = action(session, *args, **kwargs)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    when = f" from {change.digital_from.isoformat()}" if change.digital_from else ""
    click.echo(
        f"{', '.join(change.countries)}: {change.status}{when} (notified {change.notified_on})."
    )


@ata_status_cli.command("list")
@click.option("--on", "on", default=None, help="The day the status is read on (default today).")
def ata_status_list(on: str | None) -> None:
    """The published list: every ATA country, paper or digital, and its dates."""
    from portal.domain.ata_status import status_list

    for row in status_list(db.session, _date(on, "--on")):
        extra = (
            f" digital from {row.digital_from}"
            if row.digital_from
            else (f" provisional {row.provisional_from}" if row.provisional_from else "")
        )
        click.echo(f"{row.code} {row.status:<7} {row.name}{extra}")


@ata_status_cli.command("history")
@click.argument("country")
def ata_status_history(country: str) -> None:
    """Every change of a country's status."""
    from portal.domain.ata_status import history

    for h in history(db.session, country):
        click.echo(
            f"{h.created_at:%Y-%m-%d %H:%M} {h.status:<11} {h.digital_from or '-'} "
            f"notified {h.notified_on} by {h.actor_label} {h.reason}".rstrip()
        )


@ata_status_cli.command("announce")
@click.argument("country")
@click.argument("digital_from")
@click.option("--notified-on", default=None, help="Receipt of the notification (default today).")
@click.option("--reason", default="", help="Free text kept in the history.")
def ata_status_announce(
    country: str, digital_from: str, notified_on: str | None, reason: str
) -> None:
    """A provisional digital date (Customs Preparation Guide step 1)."""
    from portal.domain.ata_status import announce_provisional

    _run(
        announce_provisional,
        country,
        _date(digital_from, "DIGITAL_FROM"),
        notified_on=_date(notified_on, "--notified-on"),
        reason=reason,
    )


@ata_status_cli.command("confirm")
@click.argument("country")
@click.argument("digital_from", required=False)
@click.option("--notified-on", default=None, help="Receipt of the confirmation (default today).")
@click.option("--reason", default="", help="Free text kept in the history.")
def ata_status_confirm(
    country: str, digital_from: str | None, notified_on: str | None, reason: str
) -> None:
    """Confirm the provisional date, at least three months ahead (step 5)."""
    from portal.domain.ata_status import confirm_digital

    _run(
        confirm_digital,
        country,
        _date(digital_from, "DIGITAL_FROM"),
        notified_on=_date(notified_on, "--notified-on"),
        reason=reason,
    )


@ata_status_cli.command("withdraw")
@click.argument("country")
@click.option("--reason", required=True, help="Why the digital date is withdrawn.")
@click.option("--notified-on", default=None, help="Receipt of the notification (default today).")
def ata_status_withdraw(country: str, reason: str, notified_on: str | None) -> None:
    """Withdraw a digital date not yet in effect: the country stays paper."""
    from portal.domain.ata_status import withdraw_digital_date

    _run(
        withdraw_digital_date,
        country,
        reason=reason,
        notified_on=_date(notified_on, "--notified-on"),
    )
