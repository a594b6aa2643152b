"""The outbox (DESIGN "Transactions are the heart"): sent once, after commit, retried on failure."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import outbox
from portal.models.jobs import OutboxMessage


@pytest.fixture
def mails(app):
    def count() -> int:
        folder = app.config["MAIL_OUTBOX_DIR"]
        return len(os.listdir(folder)) if os.path.isdir(folder) else 0

    return count


def _drain(app):
    from jobs.tasks import drain_outbox

    with app.app_context():
        return drain_outbox()


def test_outbox_message_is_sent_once_even_when_drained_twice(app, session, mails):
    outbox.add_email(session, "ann@example.org", "Receipt", "Your receipt")
    session.commit()
    assert _drain(app) == {"sent": 1, "failed": 0}
    assert _drain(app) == {"sent": 0, "failed": 0}
    assert mails() == 1
    msg = session.scalar(select(OutboxMessage))
    assert msg.status == "sent" and msg.sent_at is not None and msg.attempts == 1


def test_outbox_nothing_is_queued_when_the_callers_transaction_rolls_back(app, session, mails):
    outbox.add_email(session, "ann@example.org", "Receipt", "Your receipt")
    session.rollback()
    assert _drain(app)["sent"] == 0 and mails() == 0


def test_outbox_two_drains_never_claim_the_same_message(app, session):
    from portal.extensions import db

    outbox.add_email(session, "a@example.org", "S", "B")
    outbox.add_email(session, "b@example.org", "S", "B")
    session.commit()
    with app.app_context(), db.new_session() as first, db.new_session() as second:
        claimed = outbox.claim_due(first)
        assert len(claimed) == 2
        assert outbox.claim_due(second) == []


def test_outbox_failed_send_is_retried_later(app, session, monkeypatch, mails):
    import portal.mail

    outbox.add_email(session, "ann@example.org", "Receipt", "Your receipt")
    session.commit()

    def smtp_down(*a, **k):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(portal.mail, "send_mail", smtp_down)
    assert _drain(app) == {"sent": 0, "failed": 1}
    session.expire_all()
    msg = session.scalar(select(OutboxMessage))
    assert msg.status == "pending" and msg.attempts == 1 and "SMTP is down" in msg.last_error
    assert msg.next_attempt_at > now_utc()
    monkeypatch.undo()
    assert _drain(app)["sent"] == 0  # not due yet
    later = now_utc() + dt.timedelta(hours=1)
    from portal.extensions import db

    with app.app_context(), db.new_session() as s:
        from jobs.tasks import send_outbox_message

        assert outbox.drain(s, send_outbox_message, now=later)["sent"] == 1
    assert mails() == 1


def test_outbox_gives_up_after_max_attempts(app, session):
    outbox.add_email(session, "ann@example.org", "S", "B")
    session.commit()
    from portal.extensions import db

    def broken(s, m):
        raise OSError("nope")

    with app.app_context(), db.new_session() as s:
        when = now_utc()
        for _ in range(outbox.MAX_ATTEMPTS):
            outbox.drain(s, broken, now=when)
            when += dt.timedelta(days=1)
    session.expire_all()
    assert session.scalar(select(OutboxMessage.status)) == "failed"


def test_outbox_claim_left_by_a_crashed_drain_is_released(app, session, mails):
    msg = outbox.add_email(session, "ann@example.org", "S", "B")
    msg.status, msg.claimed_at = "sending", now_utc() - dt.timedelta(hours=1)
    session.commit()
    assert _drain(app)["sent"] == 1 and mails() == 1


def test_outbox_invitation_issues_a_token_when_sent(app, session, demo, account_of, mails):
    from portal.models import Account
    from portal.models.identity import AccountToken

    admin = account_of("be", "admin")
    acc = Account(
        customs_id=admin.customs_id, email="new@example.org", full_name="New One", role="officer"
    )
    session.add(acc)
    session.flush()
    outbox.add_account_invitation(session, acc.id, acc.email, acc.customs_id, 7)
    session.commit()
    assert session.scalar(select(AccountToken)) is None  # no raw token waits in the database
    assert _drain(app)["sent"] == 1
    token = session.scalar(select(AccountToken))
    assert token.purpose == "invite" and token.account_id == acc.id
    assert (token.expires_at - token.created_at).days == 7
    with open(
        os.path.join(app.config["MAIL_OUTBOX_DIR"], os.listdir(app.config["MAIL_OUTBOX_DIR"])[0]),
        "rb",
    ) as fh:
        body = fh.read()
    assert b"customs-be.eata.test/set-password/" in body and b"within 7 days" in body


def test_r10_development_mail_is_written_to_a_file_and_the_log_holds_no_link(app, caplog):
    from portal.mail import send_mail

    link = "http://wallet.eata.test/my/confirm/SECRET-TOKEN-123"
    with caplog.at_level("DEBUG"):
        send_mail(app.config, "ann@example.org", "Confirm", f"Open {link}\nCode 482915\n")
    folder = app.config["MAIL_OUTBOX_DIR"]
    files = os.listdir(folder)
    assert len(files) == 1
    with open(os.path.join(folder, files[0]), "rb") as fh:
        assert b"SECRET-TOKEN-123" in fh.read()
    assert "message to ann@example.org written to" in caplog.text
    assert "SECRET-TOKEN-123" not in caplog.text and "482915" not in caplog.text


@pytest.fixture
def pump(app, monkeypatch):
    """The outbox pump of `make run` (no Redis), on for one test."""
    monkeypatch.setitem(app.config, "OUTBOX_AUTODRAIN", True)
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    pump = app.extensions["outbox_pump"]
    yield pump
    pump.stop()


def test_f17_without_redis_the_registration_email_is_sent_after_the_commit(
    app, client_for, session, pump, mails
):
    from tests.web.wallet.test_f17_wallet_accounts import FORM

    c = client_for("wallet")
    assert c.post("/my/register", data=FORM).status_code == 303
    assert pump.running() and pump.settle()
    assert mails() == 1
    msg = session.scalar(select(OutboxMessage))
    assert msg.status == "sent" and msg.subject == "eATA wallet: confirm your email address"
    folder = app.config["MAIL_OUTBOX_DIR"]
    with open(os.path.join(folder, os.listdir(folder)[0]), "rb") as fh:
        assert b"/my/confirm/" in fh.read()


def test_f17_without_redis_the_outbox_is_drained_periodically(
    app, session, pump, mails, monkeypatch
):
    """A message no commit of this process announced (another process wrote it, a retry fell
    due) is sent by the periodic pass."""
    outbox.add_email(session, "ann@example.org", "Receipt", "Your receipt")
    session.commit()  # the pump is not running yet: nothing woke it
    monkeypatch.setitem(app.config, "OUTBOX_DRAIN_SECONDS", 0.05)
    pump.start()
    assert pump.settle(passes=1)
    assert mails() == 1
    session.expire_all()
    assert session.scalar(select(OutboxMessage.status)) == "sent"


def test_outbox_pump_is_off_in_cli_and_with_redis(app, monkeypatch):
    pump = app.extensions["outbox_pump"]
    monkeypatch.setitem(app.config, "OUTBOX_AUTODRAIN", True)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    pump.start()
    assert not pump.running()
    pump.wake()  # a commit before any request (a CLI command) starts nothing
    assert not pump.running()
