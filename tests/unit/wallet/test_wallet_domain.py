"""Wallet domain rules without HTTP: PIN rules, download QR parsing, idle lock, confirmation
tokens, share links (F-17, F-30, F-35, R-10)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from portal.db import now_utc
from portal.domain import DomainError, NotFound
from portal.domain import wallet as w
from portal.models import Holder, HolderSession


@pytest.mark.parametrize(
    "pin", ["12345", "abcdef", "111111", "123456", "987654", "1234567890123", "１２３４５６"]
)
def test_f17_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(DomainError) as err:
        w.check_pin(pin)
    assert err.value.field == "pin"


def test_f17_good_pin_accepted():
    assert w.check_pin(" 482915 ") == "482915"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("EATA-DL:123456:87654321", ("123456", "87654321")),
        ('{"eata_id": 123456, "pin": "87654321"}', ("123456", "87654321")),
        ("CH2026ABC 87654321", ("CH2026ABC", "87654321")),
    ],
)
def test_f30_download_qr_text_parsed(text, expected):
    assert w.parse_download_qr(text) == expected


@pytest.mark.parametrize("text", ["", "EATA1:1:ABC:tag", "123456", "a b c"])
def test_f30_bad_download_qr_refused(text):
    with pytest.raises(DomainError):
        w.parse_download_qr(text)


def test_f17_idle_lock_boundary():
    now = now_utc()
    hs = HolderSession(id="x", holder_id=1, unlocked_at=now - w.PIN_IDLE)
    assert w.is_unlocked(hs, now)
    hs.unlocked_at = now - w.PIN_IDLE - dt.timedelta(seconds=1)
    assert not w.is_unlocked(hs, now)
    hs.unlocked_at = None
    assert not w.is_unlocked(hs, now)


def _register(session, email=None):
    email = email or f"u-{secrets.token_hex(3)}@example.test"
    return w.register(
        session,
        {
            "kind": "private",
            "given_names": "Anne",
            "surname": "Peeters",
            "email": email,
            "street": "s",
            "postal_code": "1",
            "city": "c",
            "country_code": "CH",
            "phone": "+41 79 1234567",
        },
        "correct horse battery staple 42",
        "482915",
        accepted_terms=True,
        confirm_url="http://wallet.eata.test/my/confirm/{token}",
    )


def test_f17_confirmation_token_single_use_and_expiring(app, session):
    holder, token = _register(session)
    session.commit()
    assert (
        w.confirm_email(
            session, token, now=now_utc() + w.CONFIRM_LIFETIME + dt.timedelta(seconds=1)
        )
        is None
    )
    assert w.confirm_email(session, token) is not None
    assert w.confirm_email(session, token) is None
    assert w.confirm_email(session, "forged") is None


def test_f17_company_needs_a_name(app, session):
    with pytest.raises(DomainError) as err:
        w.register(
            session,
            {
                "kind": "company",
                "given_names": "A",
                "surname": "B",
                "email": "c@example.test",
                "street": "s",
                "postal_code": "1",
                "city": "c",
                "country_code": "CH",
                "phone": "+41 79 1234567",
            },
            "correct horse battery staple 42",
            "482915",
            accepted_terms=True,
            confirm_url="{token}",
        )
    assert err.value.field == "company_name"


def test_f35_share_of_unknown_token_is_not_found(app, session):
    with pytest.raises(NotFound):
        w.open_share(session, "nothing")


def test_f17_sessions_expire_when_idle(app, session):
    holder, _ = _register(session)
    hs = w.open_holder_session(session, holder, mfa_pending=False)
    session.commit()
    assert w.live_holder_session(session, hs.id) is not None
    later = now_utc() + w.SESSION_IDLE + dt.timedelta(minutes=1)
    assert w.live_holder_session(session, hs.id, now=later) is None
    assert session.get(HolderSession, hs.id).revoked_at is not None
    assert isinstance(session.get(Holder, holder.id), Holder)
