"""Server-side sessions: creation, validation with idle and absolute timeouts, revocation."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from portal.db import now_utc, rows_changed
from portal.models import Account
from portal.models.identity import UserSession

# last_seen is written at most this often, so a busy page does not write on every request
TOUCH_EVERY = dt.timedelta(seconds=60)


def open_session(
    session: Session,
    account: Account,
    *,
    remember: bool = False,
    ip: str | None = None,
    user_agent: str | None = None,
    password_verified_at: dt.datetime | None = None,
) -> UserSession:
    now = now_utc()
    us = UserSession(
        id=secrets.token_urlsafe(32),
        account_id=account.id,
        remember=remember,
        ip=ip,
        user_agent=(user_agent or "")[:255],
        created_at=now,
        last_seen_at=now,
        password_verified_at=password_verified_at,
    )
    session.add(us)
    session.flush()
    return us


def keep_alive(
    session: Session,
    row,
    owner: str,
    *,
    idle: dt.timedelta,
    absolute: dt.timedelta,
    now: dt.datetime | None = None,
):
    """`row` (a customs or holder session) if it is still valid: not revoked, not idle or too
    old (then it is revoked now), its `owner` relationship present and active. Touches
    last_seen_at at most every TOUCH_EVERY."""
    now = now or now_utc()
    if row is None or row.revoked_at is not None:
        return None
    if now - row.created_at > absolute or now - row.last_seen_at > idle:
        row.revoked_at = now
        session.commit()
        return None
    # the account of another tenant's session is filtered out by the tenant scope: None
    who = getattr(row, owner)
    if who is None or not who.active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


# built once (the statement of every customs request; building it costs as much as running it)
_LIVE_SESSION = (
    select(UserSession)
    .where(UserSession.id == bindparam("sid"))
    .options(joinedload(UserSession.account).joinedload(Account.office))
)


def live_session(
    session: Session,
    sid: str,
    *,
    idle: dt.timedelta,
    absolute: dt.timedelta,
    now: dt.datetime | None = None,
) -> UserSession | None:
    """The customs session `sid` if it is still valid (see keep_alive). The row, its account
    and the account's office (its time zone: i18n) come in one query; the validity is checked
    on every request (never cached)."""
    row = session.execute(_LIVE_SESSION, {"sid": sid}).scalar_one_or_none()
    return keep_alive(session, row, "account", idle=idle, absolute=absolute, now=now)


def revoke_session(session: Session, sid: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == sid, UserSession.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )


def revoke_all_sessions(session: Session, account_id: int, except_sid: str | None = None) -> int:
    stmt = update(UserSession).where(
        UserSession.account_id == account_id, UserSession.revoked_at.is_(None)
    )
    if except_sid:
        stmt = stmt.where(UserSession.id != except_sid)
    return rows_changed(session, stmt.values(revoked_at=now_utc()))


def active_sessions(session: Session, account_id: int) -> list[UserSession]:
    return list(
        session.scalars(
            select(UserSession).where(
                UserSession.account_id == account_id, UserSession.revoked_at.is_(None)
            )
        )
    )


def recently_verified(
    us: UserSession, within: dt.timedelta, now: dt.datetime | None = None
) -> bool:
    """Whether the password was typed in this session within `within` (re-authentication)."""
    now = now or now_utc()
    return us.password_verified_at is not None and now - us.password_verified_at <= within
