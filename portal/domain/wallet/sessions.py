"""Holder login, sessions and the wallet PIN; the optional TOTP second factor (F-17, R-10)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from portal.db import now_utc
from portal.domain import DomainError, audit, mfa
from portal.domain.passwords import hash_secret, normalize_password, verify_secret
from portal.domain.sessions import TOUCH_EVERY, keep_alive
from portal.domain.wallet.accounts import check_pin, credential_of
from portal.i18n import fmt_time
from portal.models import (
    Holder,
    HolderCredential,
    HolderSession,
)

MAX_LOGIN_FAILURES = 5
LOGIN_LOCKOUT = dt.timedelta(minutes=15)
MAX_PIN_FAILURES = 5
PIN_IDLE = dt.timedelta(minutes=10)  # the wallet PIN is asked again after this much idle time
SESSION_IDLE = dt.timedelta(hours=2)
SESSION_ABSOLUTE = dt.timedelta(hours=12)

LOGIN_FAILED = _l("Wrong email or password.")

# --- login, sessions, wallet PIN ----------------------------------------------------------------


@dataclass
class LoginResult:
    holder: Holder
    needs_totp: bool


def _refuse_if_locked(cred: HolderCredential | None, now: dt.datetime) -> None:
    """The login lock-out (R-10) of the password and of the TOTP step."""
    if cred is not None and cred.locked_until is not None and cred.locked_until > now:
        raise DomainError(
            _(
                "Too many failed logins: try again after %(time)s.",
                time=fmt_time(cred.locked_until, "HH:mm zzz"),
            ),
            code="locked",
        )


def _count_login_failure(cred: HolderCredential, now: dt.datetime) -> bool:
    """One more failed password or TOTP code; True when it locks the login (the count starts
    again after the lock)."""
    cred.failed_logins += 1
    if cred.failed_logins < MAX_LOGIN_FAILURES:
        return False
    cred.locked_until, cred.failed_logins = now + LOGIN_LOCKOUT, 0
    return True


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check email + password with a lock-out after repeated failures (R-10); the message does
    not say which part was wrong. A failure is committed before the refusal."""
    now = now or now_utc()
    email = (email or "").strip().lower()
    holder = session.scalar(select(Holder).where(Holder.email == email))
    # a holder of a carnet without a wallet account has no credential: the same refusal
    cred = session.get(HolderCredential, holder.id) if holder is not None else None
    if cred is not None and cred.locked_until is not None and cred.locked_until > now:
        verify_secret(None, password or "")  # as long as a real check
    _refuse_if_locked(cred, now)
    ok = verify_secret(cred.password_hash if cred else None, normalize_password(password or ""))
    if not ok or holder is None or cred is None or not holder.active:
        if cred is not None:
            _count_login_failure(cred, now)
        audit.record(
            session,
            "holder.login_failed",
            actor_type="anonymous",
            ip=ip,
            actor_label=email[:254],
            object_type="holder",
            object_id=holder.id if holder else None,
        )
        session.commit()
        raise DomainError(str(LOGIN_FAILED), code="login_failed")
    if cred.email_confirmed_at is None:
        raise DomainError(
            _("Confirm your email address first: open the link we emailed you."),
            code="email_unconfirmed",
        )
    cred.failed_logins, cred.locked_until = 0, None
    return LoginResult(holder=holder, needs_totp=cred.totp_secret_enc is not None)


def open_holder_session(
    session: Session,
    holder: Holder,
    *,
    mfa_pending: bool,
    ip: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
) -> HolderSession:
    now = now or now_utc()
    hs = HolderSession(
        id=secrets.token_urlsafe(32),
        holder_id=holder.id,
        created_at=now,
        last_seen_at=now,
        mfa_pending=mfa_pending,
        ip=ip,
        user_agent=(user_agent or "")[:255],
    )
    session.add(hs)
    if not mfa_pending:
        audit.by_holder(session, "holder.login", holder, ip=ip)
    session.flush()
    return hs


# built once: the statement of every wallet request
_LIVE_SESSION = (
    select(HolderSession)
    .where(HolderSession.id == bindparam("sid"))
    .options(joinedload(HolderSession.holder))
)


def live_holder_session(
    session: Session, sid: str, *, now: dt.datetime | None = None
) -> HolderSession | None:
    """The holder's session `sid` if it is still valid (see keep_alive); the row and its
    holder come in one query, checked on every request."""
    return keep_alive(
        session,
        session.execute(_LIVE_SESSION, {"sid": sid}).scalar_one_or_none(),
        "holder",
        idle=SESSION_IDLE,
        absolute=SESSION_ABSOLUTE,
        now=now,
    )


def revoke_holder_session(session: Session, sid: str) -> None:
    session.execute(
        update(HolderSession)
        .where(HolderSession.id == sid, HolderSession.revoked_at.is_(None))
        .values(revoked_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def is_unlocked(hs: HolderSession, now: dt.datetime | None = None) -> bool:
    now = now or now_utc()
    return hs.unlocked_at is not None and now - hs.unlocked_at <= PIN_IDLE


def keep_unlocked(session: Session, hs: HolderSession, now: dt.datetime | None = None) -> None:
    """Activity while unlocked pushes the re-lock back (written at most once a minute)."""
    now = now or now_utc()
    if hs.unlocked_at is not None and is_unlocked(hs, now) and now - hs.unlocked_at > TOUCH_EVERY:
        hs.unlocked_at = now
        session.commit()


def unlock(
    session: Session,
    hs: HolderSession,
    pin: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Unlock the wallet with its PIN. Too many wrong PINs end the session (the password is
    needed again). Returns False on a wrong PIN (already committed)."""
    now = now or now_utc()
    holder = hs.holder
    cred = credential_of(session, holder)
    if verify_secret(cred.pin_hash, (pin or "").strip()):
        cred.pin_failures = 0
        hs.unlocked_at = now
        session.flush()
        return True
    cred.pin_failures += 1
    ended = cred.pin_failures >= MAX_PIN_FAILURES
    if ended:
        cred.pin_failures = 0
        hs.revoked_at = now
    audit.by_holder(session, "holder.pin_failed", holder, ip=ip, data={"session_ended": ended})
    session.commit()
    return False


def change_pin(session: Session, holder: Holder, current: str, new: str) -> None:
    cred = credential_of(session, holder)
    if not verify_secret(cred.pin_hash, (current or "").strip()):
        raise DomainError(_("This is not your current wallet PIN."), field="current_pin")
    cred.pin_hash = hash_secret(check_pin(new))
    audit.by_holder(session, "holder.pin_changed", holder)
    session.flush()


# --- TOTP (optional second factor) ---------------------------------------------------------------


def new_totp() -> tuple[str, str, str]:
    """(secret, provisioning URI, QR data URI) for enrolment."""
    secret = mfa.new_totp_secret()
    uri = mfa.provisioning_uri(secret, "", issuer="eATA Wallet")
    return secret, uri, mfa.qr_data_uri(uri)


def enable_totp(
    session: Session, holder: Holder, secret: str, code: str, *, now: dt.datetime | None = None
) -> None:
    now = now or now_utc()
    counter = mfa.totp_counter(secret, code, now, None)
    if counter is None:
        raise DomainError(
            _("This code does not match: type the 6 digits your app shows now."), field="code"
        )
    cred = credential_of(session, holder)
    cred.totp_secret_enc, cred.totp_last_counter = mfa.encrypt(secret), counter
    audit.by_holder(session, "holder.totp_enabled", holder)
    session.flush()


def disable_totp(session: Session, holder: Holder) -> None:
    cred = credential_of(session, holder)
    cred.totp_secret_enc, cred.totp_last_counter = None, None
    audit.by_holder(session, "holder.totp_disabled", holder)
    session.flush()


def verify_totp(
    session: Session,
    hs: HolderSession,
    code: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """The login's second step; a code is accepted once (no replay). Failures count towards
    the login lock-out."""
    now = now or now_utc()
    cred = credential_of(session, hs.holder)
    _refuse_if_locked(cred, now)
    counter = (
        mfa.totp_counter(mfa.decrypt(cred.totp_secret_enc), code, now, cred.totp_last_counter)
        if cred.totp_secret_enc
        else None
    )
    if counter is None:
        if _count_login_failure(cred, now):
            hs.revoked_at = now
        audit.by_holder(session, "holder.totp_failed", hs.holder, ip=ip)
        session.commit()
        return False
    cred.totp_last_counter, cred.failed_logins = counter, 0
    hs.mfa_pending = False
    audit.by_holder(session, "holder.login", hs.holder, ip=ip, data={"totp": True})
    session.flush()
    return True
