"""F-70: ATA status changes — provisional then confirmed, three months' notice, the history,
the audit trail, the outbox notices, the operator's command line."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import DomainError, api_clients, ata_status
from portal.domain.demo import demo_email
from portal.models import AtaStatusChange, AuditEvent, Country, OutboxMessage

TODAY = now_utc().date()
pytestmark = pytest.mark.usefixtures("ata_statuses")


def _paper(session, code):
    """`code`'s whole customs territory paper again (as the published list would say)."""
    territory = session.get(Country, code).territory_id
    for c in session.scalars(select(Country).where(Country.territory_id == territory)):
        if c.ata_status != "none":
            c.ata_status, c.digital_from = "paper", None
    session.commit()


@pytest.fixture
def network(demo):
    api_clients.create_nga(demo, "CH", "ATA Suisse", email="ata@cci.test")
    api_clients.create_nga(demo, "TR", "TOBB", email="")  # no address: nobody to email
    demo.commit()
    return demo


def test_f70_provisional_then_confirmed_with_three_months_notice(network):
    s = network
    day = ata_status.earliest_digital_date(TODAY)
    assert TODAY + dt.timedelta(days=89) <= day <= TODAY + dt.timedelta(days=92)
    ata_status.announce_provisional(s, "TR", day, reason="SPOC mail")
    s.commit()
    tr = s.get(Country, "TR")
    assert (tr.ata_status, tr.provisional_from, tr.digital_from) == ("paper", day, None)
    assert not tr.is_digital_on(day)  # provisional: still paper on the day
    ata_status.confirm_digital(s, "TR")
    s.commit()
    assert (tr.ata_status, tr.digital_from, tr.provisional_from) == ("digital", day, None)
    assert tr.is_digital_on(day) and not tr.is_digital_on(day - dt.timedelta(days=1))
    assert [h.status for h in ata_status.history(s, "TR")] == ["provisional", "digital"]
    audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "ata_status.changed")).all()
    assert [a.data["status"] for a in audit] == ["provisional", "digital"]
    mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    recipients = {m.recipient for m in mails}
    assert "ata@cci.test" in recipients
    assert {demo_email(code, "admin") for code in ("be", "fr", "ch")} <= recipients
    assert len(mails) == 2 * len(recipients)  # one each per change
    assert all("Türkiye" in m.subject or "Turkey" in m.subject for m in mails)


def test_f70_short_notice_refused_and_nothing_changed(network):
    s = network
    too_soon = ata_status.earliest_digital_date(TODAY) - dt.timedelta(days=1)
    with pytest.raises(DomainError, match="at least three months ahead") as err:
        ata_status.announce_provisional(s, "TR", too_soon)
    assert err.value.field == "digital_from"
    s.rollback()
    later = TODAY + dt.timedelta(days=200)
    ata_status.announce_provisional(s, "TR", later, notified_on=TODAY)
    s.commit()
    # confirming late: the confirmation itself must arrive three months ahead
    with pytest.raises(DomainError, match="at least three months ahead"):
        ata_status.confirm_digital(s, "TR", notified_on=later - dt.timedelta(days=30))
    s.rollback()
    with pytest.raises(DomainError, match="confirm that date"):
        ata_status.confirm_digital(s, "TR", later + dt.timedelta(days=7))
    s.rollback()
    assert s.get(Country, "TR").ata_status == "paper"
    assert [h.status for h in ata_status.history(s, "TR")] == ["provisional"]


def test_f70_a_territory_switches_together_and_a_digital_one_cannot_change(network):
    s = network
    _paper(s, "FR")
    day = TODAY + dt.timedelta(days=120)
    change = ata_status.announce_provisional(s, "FR", day)
    assert {"FR", "BE", "DE"} <= set(change.countries) and len(change.countries) == 27
    s.commit()
    event = s.scalar(select(AuditEvent).where(AuditEvent.action == "ata_status.changed"))
    assert event.object_id == "EU" and len(event.data["countries"]) == 27
    ata_status.withdraw_digital_date(s, "BE", reason="offices not equipped")
    s.commit()
    assert s.get(Country, "DE").provisional_from is None
    with pytest.raises(DomainError, match="digital country since"):
        ata_status.announce_provisional(s, "CH", day)
    with pytest.raises(DomainError, match="no provisional digital date"):
        ata_status.confirm_digital(s, "FR")
    with pytest.raises(DomainError, match="not a party"):
        ata_status.announce_provisional(s, "AQ", day)


def test_f70_command_line(app, network):
    runner = app.test_cli_runner()
    day = (TODAY + dt.timedelta(days=150)).isoformat()
    r = runner.invoke(args=["ata-status", "announce", "TR", day, "--reason", "SPOC"])
    assert r.exit_code == 0, r.output
    assert f"TR: provisional from {day}" in r.output
    r = runner.invoke(args=["ata-status", "confirm", "TR"])
    assert r.exit_code == 0 and "TR: digital" in r.output
    r = runner.invoke(args=["ata-status", "history", "TR"])
    assert "provisional" in r.output and "digital" in r.output
    r = runner.invoke(args=["ata-status", "list", "--on", day])
    assert "TR digital" in r.output and "US paper" in r.output
    soon = (TODAY + dt.timedelta(days=10)).isoformat()
    r = runner.invoke(args=["ata-status", "announce", "US", soon])
    assert r.exit_code == 1 and "three months ahead" in r.output and "Traceback" not in r.output
    r = runner.invoke(args=["ata-status", "announce", "US", "tomorrow"])
    assert r.exit_code == 2
    with app.app_context():
        from portal.extensions import db

        assert (
            db.session.scalar(
                select(AtaStatusChange.id).where(AtaStatusChange.country_code == "US")
            )
            is None
        )
