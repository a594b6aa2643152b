"""R-10: codes and tokens are random, stored only as keyed hashes, single-use and expiring."""

import datetime as dt
import math

from sqlalchemy import select

from portal.domain import codes
from portal.domain.tokens import consume_token, issue_token, peek_token
from portal.models.identity import AccountToken


def test_r10_typable_code_has_at_least_60_bits_and_no_ambiguous_letters():
    code = codes.new_typable_code()
    assert len(code) * math.log2(len(codes.TYPABLE_ALPHABET)) >= 60
    assert not set("01OIL5S2Z8B") & set(codes.TYPABLE_ALPHABET)
    assert len({codes.new_typable_code() for _ in range(200)}) == 200


def test_r10_typable_code_uses_the_whole_alphabet_at_every_position():
    """Every position is drawn from all 25 letters (a skewed or truncated conversion would
    leave letters out at some position and lower the entropy)."""
    drawn = [codes.new_typable_code() for _ in range(3000)]
    assert {len(c) for c in drawn} == {13}
    for pos in range(13):
        assert {c[pos] for c in drawn} == set(codes.TYPABLE_ALPHABET), pos


def test_r10_token_stored_only_as_keyed_hash(app, session, account_of):
    officer = account_of("be", "officer")
    raw = issue_token(session, officer, "invite", dt.timedelta(days=1))
    stored = session.scalars(select(AccountToken.token_hash)).all()
    assert raw not in stored and codes.keyed_hash(raw) in stored


def test_r10_token_is_single_use(app, session, account_of):
    officer = account_of("be", "officer")
    raw = issue_token(session, officer, "reset", dt.timedelta(minutes=60))
    assert consume_token(session, raw, "reset").id == officer.id
    assert consume_token(session, raw, "reset") is None


def test_r10_token_of_another_purpose_or_forged_is_refused(app, session, account_of):
    officer = account_of("be", "officer")
    raw = issue_token(session, officer, "reset", dt.timedelta(minutes=60))
    assert peek_token(session, raw, "invite") is None
    assert peek_token(session, raw + "x", "reset") is None


def test_r10_expired_token_is_refused(app, session, account_of, monkeypatch):
    officer = account_of("be", "officer")
    raw = issue_token(session, officer, "invite", dt.timedelta(days=14))
    later = codes_now() + dt.timedelta(days=14, seconds=1)
    monkeypatch.setattr("portal.domain.tokens.now_utc", lambda: later)
    assert consume_token(session, raw, "invite") is None


def test_r10_new_token_replaces_the_previous_one(app, session, account_of):
    officer = account_of("be", "officer")
    first = issue_token(session, officer, "invite", dt.timedelta(days=1))
    second = issue_token(session, officer, "invite", dt.timedelta(days=1))
    assert peek_token(session, first, "invite") is None
    assert peek_token(session, second, "invite") is not None


def codes_now():
    from portal.db import now_utc

    return now_utc()
