"""Operators of the deployment (docs/operator.md): the built-in identity of the customs portal
— the same password policy and hashing, the same lockout, the same TOTP check — with the second
factor always required: an operator without TOTP enrols it before anything else."""

from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError, mfa
from portal.domain.identity import LOCK_AFTER, LOCK_MINUTES
from portal.domain.passwords import hash_secret, normalize_password, password_problem, verify_secret
from portal.models import Operator, OperatorSession

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=8)


def create_operator(session: Session, email: str, full_name: str, password: str) -> Operator:
    email = (email or "").strip().lower()
    if "@" not in email or not full_name.strip():
        raise DomainError(_("Give the operator's email and name."), field="email")
    if session.scalar(select(Operator).where(Operator.email == email)):
        raise Conflict(
            _("An operator with email %(email)s already exists.", email=email), field="email"
        )
    problem = password_problem(password, email=email, mfa_enabled=True)
    if problem:
        raise DomainError(problem, field="password")
    operator = Operator(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_secret(normalize_password(password)),
    )
    session.add(operator)
    session.flush()
    return operator


def check_login(
    session: Session, email: str, password: str, now: dt.datetime | None = None
) -> tuple[str, Operator | None]:
    """('ok' | 'bad' | 'locked', operator) of the password step."""
    now = now or now_utc()
    operator = session.scalar(
        select(Operator).where(Operator.email == (email or "").strip().lower())
    )
    if operator is None or not operator.active:
        verify_secret(None, password)
        return "bad", None
    if operator.locked_until is not None and operator.locked_until > now:
        verify_secret(None, password)
        return "locked", operator
    if verify_secret(operator.password_hash, normalize_password(password)):
        return "ok", operator
    record_failure(session, operator, now)
    return "bad", operator


def record_failure(session: Session, operator: Operator, now: dt.datetime | None = None) -> None:
    now = now or now_utc()
    session.flush()
    session.execute(
        update(Operator)
        .where(Operator.id == operator.id)
        .values(failed_logins=Operator.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(operator, ["failed_logins"])
    if operator.failed_logins >= LOCK_AFTER:
        operator.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        operator.failed_logins = 0


def open_session(session: Session, operator: Operator, ip: str | None) -> OperatorSession:
    now = now_utc()
    row = OperatorSession(
        id=secrets.token_urlsafe(32),
        operator_id=operator.id,
        created_at=now,
        last_seen_at=now,
        ip=ip,
    )
    session.add(row)
    session.flush()
    return row


def live_session(
    session: Session, sid: str, now: dt.datetime | None = None
) -> OperatorSession | None:
    now = now or now_utc()
    row = session.get(OperatorSession, sid)
    if row is None or row.revoked_at is not None or not row.operator.active:
        return None
    if now - row.created_at > ABSOLUTE or now - row.last_seen_at > IDLE:
        row.revoked_at = now
        session.commit()
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=60):
        row.last_seen_at = now
        session.commit()
    return row


def revoke_session(session: Session, sid: str) -> None:
    row = session.get(OperatorSession, sid)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now_utc()


def verify_totp(
    session: Session, operator: Operator, code: str, now: dt.datetime | None = None
) -> bool:
    """The operator's TOTP code, accepted once per time-step (mfa.totp_counter)."""
    if not operator.totp_secret_enc:
        return False
    counter = mfa.totp_counter(
        mfa.decrypt(operator.totp_secret_enc), code, now or now_utc(), operator.totp_last_counter
    )
    if counter is None:
        return False
    session.flush()
    moved = rows_changed(
        session,
        update(Operator)
        .where(
            Operator.id == operator.id,
            or_(Operator.totp_last_counter.is_(None), Operator.totp_last_counter < counter),
        )
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False),
    )
    if moved != 1:
        return False
    session.refresh(operator, ["totp_last_counter"])
    return True


def enrol_totp(operator: Operator, secret: str, code: str, now: dt.datetime | None = None) -> None:
    counter = mfa.totp_counter(secret, code, now or now_utc())
    if counter is None:
        raise DomainError(
            _(
                "This code does not match. Check the time on your phone and type the code your "
                "app shows now."
            ),
            field="code",
        )
    operator.totp_secret_enc = mfa.encrypt(secret)
    operator.totp_last_counter = counter


def passed_mfa(session: Session, row: OperatorSession, operator: Operator) -> None:
    now = now_utc()
    row.mfa_at = now
    operator.failed_logins = 0
    operator.locked_until = None
    operator.last_login_at = now
