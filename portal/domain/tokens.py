"""Single-use, expiring account tokens: invitation and password-reset links (F-11, R-10)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain.codes import keyed_hash, new_token
from portal.models import Account
from portal.models.identity import AccountToken


def issue_token(
    session: Session,
    account: Account,
    purpose: str,
    lifetime: dt.timedelta,
    *,
    new_email: str | None = None,
) -> str:
    """Create a token for `account`; earlier unused tokens of the same purpose stop working.
    Returns the raw token (to put in a link); only its keyed hash is stored."""
    now = now_utc()
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    raw = new_token()
    session.add(
        AccountToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=keyed_hash(raw),
            created_at=now,
            expires_at=now + lifetime,
            new_email=new_email,
        )
    )
    session.flush()
    return raw


def end_tokens(session: Session, account_id: int, purposes: tuple[str, ...]) -> int:
    """Make the account's unused tokens of `purposes` stop working (the address they were sent
    to, or the password they would set, changed)."""
    return rows_changed(
        session,
        update(AccountToken)
        .where(
            AccountToken.account_id == account_id,
            AccountToken.purpose.in_(purposes),
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now_utc()),
    )


def peek_token(session: Session, raw: str, purpose: str) -> AccountToken | None:
    """The valid (unused, unexpired) token for `raw`, without using it up."""
    tok = session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == keyed_hash(raw), AccountToken.purpose == purpose
        )
    )
    if tok is None or tok.used_at is not None or tok.expires_at <= now_utc():
        return None
    return tok


def consume_token(session: Session, raw: str, purpose: str) -> Account | None:
    """Use the token up and return its account, or None if it is unknown, used or expired.
    The UPDATE … WHERE used_at IS NULL makes two concurrent uses produce one success."""
    tok = peek_token(session, raw, purpose)
    if tok is None:
        return None
    done = rows_changed(
        session,
        update(AccountToken)
        .where(AccountToken.id == tok.id, AccountToken.used_at.is_(None))
        .values(used_at=now_utc()),
    )
    return tok.account if done == 1 else None


def issued_recently(session: Session, account: Account, purpose: str, within: dt.timedelta) -> bool:
    """Whether a token of `purpose` was issued to `account` within `within` (to throttle mails)."""
    since = now_utc() - within
    return (
        session.scalar(
            select(AccountToken.id)
            .where(
                AccountToken.account_id == account.id,
                AccountToken.purpose == purpose,
                AccountToken.created_at > since,
            )
            .limit(1)
        )
        is not None
    )
