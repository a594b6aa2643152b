"""Domain rules of identity (F-10 … F-12, R-10): password policy, lockout, TOTP without replay,
email codes, recovery codes, encryption of TOTP secrets, session timeouts, tokens."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import DomainError, identity, mfa
from portal.domain.passwords import common_passwords, password_problem
from portal.domain.sessions import live_session, open_session
from portal.domain.tokens import consume_token, issue_token
from portal.models import CustomsAdministration


@pytest.fixture
def officer(account_of):
    return account_of("be", "officer")


def test_f10_password_rules_length_not_composition():
    assert len(common_passwords()) >= 10_000
    assert password_problem("lowercase only words") is None  # no composition rules
    assert "at least 15" in password_problem("fourteen chars")
    assert password_problem("tulip-87", mfa_enabled=True) is None
    assert "at least 8" in password_problem("tulip-8", mfa_enabled=True)
    assert password_problem("x" * 64 + "y" * 64) is None  # 128 allowed
    assert "at most 128" in password_problem("y" * 129)


def test_f10_common_and_personal_passwords_are_refused():
    assert "too common" in password_problem("123456789987654321")
    assert "too common" in password_problem("1Q2W3E4R5T6Y7U8I9O0P")  # case does not help
    assert "too common" in password_problem("password", mfa_enabled=True)
    assert "email name" in password_problem("i am jane.doe and proud", email="Jane.Doe@example.org")


def test_f10_lockout_counts_and_expires(officer):
    now = now_utc()
    for _ in range(identity.LOCK_AFTER - 1):
        assert identity.record_failure(officer, now) is False
    assert identity.record_failure(officer, now) is True
    assert identity.is_locked(officer, now + dt.timedelta(minutes=14))
    assert not identity.is_locked(officer, now + dt.timedelta(minutes=15, seconds=1))
    # after the lock ran out, one failure does not lock again
    assert identity.record_failure(officer, now + dt.timedelta(minutes=16)) is False
    assert officer.failed_logins == 1


def test_f10_locked_account_refuses_even_the_right_password(demo, officer):
    officer.locked_until = now_utc() + dt.timedelta(minutes=5)
    result = identity.check_password_login(
        demo, officer.customs_id, officer.email, "eata-demo-passw0rd"
    )
    assert result.outcome == "locked" and not result.ok


def test_f12_totp_replay_refused_and_window_is_one_step(demo, officer):
    secret = mfa.new_totp_secret()
    t0 = dt.datetime(2026, 11, 22, 10, 0, 10)
    totp = pyotp.TOTP(secret)
    at = lambda t: totp.at(t.replace(tzinfo=dt.UTC))  # noqa: E731
    mfa.enable_totp(demo, officer, secret, at(t0), t0)
    # the enrolment code itself cannot be used again
    assert not mfa.verify_totp(officer, at(t0), t0)
    t1 = t0 + dt.timedelta(seconds=30)
    code = at(t1)
    assert mfa.verify_totp(officer, code, t1 + dt.timedelta(seconds=25))  # one step late: fine
    assert not mfa.verify_totp(officer, code, t1 + dt.timedelta(seconds=26))  # replay
    t2 = t0 + dt.timedelta(minutes=10)
    assert not mfa.verify_totp(officer, at(t2 - dt.timedelta(seconds=60)), t2)  # two steps old
    assert mfa.verify_totp(officer, at(t2 + dt.timedelta(seconds=30)), t2)  # one step early
    assert not mfa.verify_totp(officer, "12345", t2)
    assert not mfa.verify_totp(officer, "abcdef", t2)


def test_f12_totp_secret_is_stored_encrypted(demo, officer):
    secret = mfa.new_totp_secret()
    mfa.enable_totp(demo, officer, secret, pyotp.TOTP(secret).now())
    assert secret not in officer.totp_secret_enc
    assert mfa.decrypt(officer.totp_secret_enc) == secret


def test_f12_enrolment_with_a_wrong_code_is_refused(demo, officer):
    with pytest.raises(DomainError, match="does not match"):
        mfa.enable_totp(demo, officer, mfa.new_totp_secret(), "000000")
    assert officer.mfa_method is None


def test_f12_email_otp_expires_is_single_use_and_limited(demo, officer):
    t0 = now_utc()
    code = mfa.issue_email_otp(demo, officer, "alt@example.org", t0)
    assert len(code) == 6 and code.isdigit()
    late = t0 + dt.timedelta(minutes=mfa.EMAIL_OTP_MINUTES, seconds=1)
    assert mfa.check_email_otp(demo, officer, code, late) is None  # expired
    code = mfa.issue_email_otp(demo, officer, "alt@example.org", t0)
    assert mfa.check_email_otp(demo, officer, code, t0 + dt.timedelta(minutes=9)) is not None
    assert mfa.check_email_otp(demo, officer, code, t0 + dt.timedelta(minutes=9)) is None  # used
    mfa.issue_email_otp(demo, officer, "alt@example.org", t0)  # the 3rd in 10 minutes
    with pytest.raises(DomainError, match="codes were sent"):
        mfa.issue_email_otp(demo, officer, "alt@example.org", t0)  # the 4th
    assert mfa.issue_email_otp(demo, officer, "alt@example.org", t0 + dt.timedelta(minutes=11))


def test_f12_email_otp_dies_after_wrong_attempts(demo, officer):
    t0 = now_utc()
    code = mfa.issue_email_otp(demo, officer, "alt@example.org", t0)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(mfa.EMAIL_OTP_MAX_ATTEMPTS):
        assert mfa.check_email_otp(demo, officer, wrong, t0) is None
    assert mfa.check_email_otp(demo, officer, code, t0) is None


def test_f12_recovery_codes_single_use_and_hashed(demo, officer):
    from portal.models.identity import RecoveryCode

    codes = mfa.new_recovery_codes(demo, officer)
    assert len(set(codes)) == 10
    stored = demo.scalars(select(RecoveryCode.code_hash)).all()
    assert not any(c.replace("-", "") in h for c in codes for h in stored)
    assert mfa.use_recovery_code(demo, officer, codes[0].replace("-", " ").lower())
    assert not mfa.use_recovery_code(demo, officer, codes[0])
    assert not mfa.use_recovery_code(demo, officer, "AAAAA-AAAAA")


def test_f12_mfa_is_required_for_admins_and_when_mandatory(demo, account_of):
    admin, officer = account_of("be", "admin"), account_of("be", "officer")
    administration = demo.get(CustomsAdministration, officer.customs_id)
    assert mfa.mfa_required(admin, administration)
    assert not mfa.mfa_required(officer, administration)
    administration.mfa_mandatory = True
    assert mfa.mfa_required(officer, administration)
    with pytest.raises(DomainError, match="cannot be turned off"):
        mfa.disable_mfa(demo, officer, administration)


def test_f10_session_idle_and_absolute_timeouts(demo, officer):
    us = open_session(demo, officer)
    demo.commit()
    idle, absolute = dt.timedelta(minutes=30), dt.timedelta(hours=12)
    start = us.created_at
    assert live_session(
        demo, us.id, idle=idle, absolute=absolute, now=start + dt.timedelta(minutes=29)
    )
    assert (
        live_session(
            demo, us.id, idle=idle, absolute=absolute, now=start + dt.timedelta(minutes=29 + 31)
        )
        is None
    )
    us2 = open_session(demo, officer)
    demo.commit()
    t = us2.created_at
    for _ in range(36):
        t += dt.timedelta(minutes=20)
        alive = live_session(demo, us2.id, idle=idle, absolute=absolute, now=t)
        if t - us2.created_at <= absolute:
            assert alive is not None
        else:
            assert alive is None


def test_r10_tokens_are_single_use_and_expire(demo, officer):
    raw = issue_token(demo, officer, "reset", dt.timedelta(minutes=60))
    assert consume_token(demo, raw, "invite") is None  # another purpose
    assert consume_token(demo, raw, "reset") is not None
    assert consume_token(demo, raw, "reset") is None


def test_f11_set_password_with_token_checks_the_rules_before_using_the_link(demo, officer):
    raw = issue_token(demo, officer, "invite", dt.timedelta(days=1))
    with pytest.raises(DomainError, match="at least 15"):
        identity.set_password_with_token(demo, officer.customs_id, raw, "too short")
    purpose, account = identity.set_password_with_token(
        demo, officer.customs_id, raw, "a long enough pass phrase"
    )
    assert purpose == "invite" and account.id == officer.id and not account.must_change_password
    with pytest.raises(DomainError, match="expired or was already used"):
        identity.set_password_with_token(demo, officer.customs_id, raw, "another long pass phrase")


def test_f12_same_totp_code_in_two_racing_requests_passes_once(app, demo, officer):
    from portal.extensions import db
    from portal.models import Account

    secret = mfa.new_totp_secret()
    t0 = now_utc()
    mfa.enable_totp(demo, officer, secret, pyotp.TOTP(secret).at(t0.replace(tzinfo=dt.UTC)), t0)
    demo.commit()
    t1 = t0 + dt.timedelta(seconds=30)
    code = pyotp.TOTP(secret).at(t1.replace(tzinfo=dt.UTC))
    with db.new_session() as first, db.new_session() as second:
        a, b = first.get(Account, officer.id), second.get(Account, officer.id)  # both read it now
        assert mfa.verify_totp(a, code, t1)
        first.commit()
        assert not mfa.verify_totp(b, code, t1)  # its stale copy says "unused": the UPDATE says no
        second.commit()


def test_f12_same_email_code_in_two_racing_requests_passes_once(app, demo, officer):
    from portal.extensions import db
    from portal.models import Account

    t0 = now_utc()
    code = mfa.issue_email_otp(demo, officer, "alt@example.org", t0)
    demo.commit()
    with db.new_session() as first, db.new_session() as second:
        a, b = first.get(Account, officer.id), second.get(Account, officer.id)
        mfa.live_email_otp(second, b, t0)  # the second request has loaded the live code too
        assert mfa.check_email_otp(first, a, code, t0) is not None
        first.commit()
        assert mfa.check_email_otp(second, b, code, t0) is None
        second.commit()


def test_f10_last_seen_is_written_at_most_every_minute_and_idle_sessions_still_expire(
    demo, officer
):
    """The keep-alive write is throttled (TOUCH_EVERY): requests within a minute write
    nothing, yet an idle session never lives longer than `idle` after the last write — at most
    TOUCH_EVERY less than after the last request, never more. Revocation is seen at once."""
    from portal.domain.sessions import TOUCH_EVERY, revoke_session

    assert TOUCH_EVERY <= dt.timedelta(minutes=1)
    idle, absolute = dt.timedelta(minutes=30), dt.timedelta(hours=12)
    us = open_session(demo, officer)
    demo.commit()
    start = us.created_at
    seconds = dt.timedelta(seconds=1)
    assert live_session(demo, us.id, idle=idle, absolute=absolute, now=start + 30 * seconds)
    demo.expire_all()
    assert demo.get(type(us), us.id).last_seen_at == start  # within the minute: no write
    assert live_session(demo, us.id, idle=idle, absolute=absolute, now=start + 61 * seconds)
    demo.expire_all()
    touched = demo.get(type(us), us.id).last_seen_at
    assert touched == start + 61 * seconds  # after a minute: written
    # a request 30 s after the write writes nothing; idle is counted from the write
    assert live_session(demo, us.id, idle=idle, absolute=absolute, now=touched + 30 * seconds)
    assert (
        live_session(demo, us.id, idle=idle, absolute=absolute, now=touched + idle + seconds)
        is None
    )
    demo.expire_all()
    assert demo.get(type(us), us.id).revoked_at is not None
    # revocation (logout elsewhere, account disabled) is not cached: the next check refuses
    us2 = open_session(demo, officer)
    demo.commit()
    assert live_session(demo, us2.id, idle=idle, absolute=absolute)
    revoke_session(demo, us2.id)
    demo.commit()
    demo.expire_all()  # the next request has a session of its own
    assert live_session(demo, us2.id, idle=idle, absolute=absolute) is None
