"""Password reset of a wallet holder (F-17): a single-use, time-limited link sent by email.

The request never says whether a wallet exists for the address (the same answer either way);
one link at most every RESET_MAIL_INTERVAL per holder (the route also limits per client);
only the keyed hash of the link is stored. Using the link sets the new password, confirms the
email address (the link reached it), ends every session of the holder and tells them by email.
The wallet PIN and two-step login are unchanged: a reset opens the password step only.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import DomainError, audit, outbox
from portal.domain.codes import keyed_hash, new_token
from portal.domain.passwords import hash_secret, normalize_password, password_problem
from portal.i18n import fmt_datetime, language_of, with_locale
from portal.models import Holder, HolderCredential, HolderSession, HolderToken

PURPOSE = "reset_password"
RESET_MAIL_INTERVAL = dt.timedelta(minutes=10)
DEFAULT_LIFETIME = dt.timedelta(minutes=60)


def _hash(raw: str) -> str:
    return keyed_hash("holder-token:" + (raw or ""))


def request_reset(
    session: Session,
    email: str,
    *,
    reset_url: str,
    ip: str | None = None,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
    now: dt.datetime | None = None,
) -> str | None:
    """Email a reset link (`reset_url` has "{token}" in it) when an active wallet has this
    address and no link was sent in the last RESET_MAIL_INTERVAL. Returns the raw token or
    None; the caller answers the same in every case."""
    now = now or now_utc()
    holder = session.scalar(select(Holder).where(Holder.email == (email or "").strip().lower()))
    if holder is None or not holder.active:
        return None
    last = session.scalar(
        select(func.max(HolderToken.created_at)).where(
            HolderToken.holder_id == holder.id, HolderToken.purpose == PURPOSE
        )
    )
    if last is not None and now - last < RESET_MAIL_INTERVAL:
        return None
    raw = new_token()
    session.add(
        HolderToken(
            holder_id=holder.id,
            purpose=PURPOSE,
            email=holder.email,
            token_hash=_hash(raw),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    minutes = int(lifetime.total_seconds() // 60)
    with with_locale(language_of(holder)):
        outbox.add_email(
            session,
            holder.email,
            _("eATA wallet: reset your password"),
            _(
                "Hello %(name)s,\n\nSomebody asked to reset the password of your eATA wallet. "
                "Choose a new password with this link (it works once, for %(minutes)s "
                "minutes):\n\n%(link)s\n\nIf you did not ask for it, ignore this message: "
                "your password stays as it is.\n\neATA\n",
                name=holder.legal_name,
                minutes=minutes,
                link=reset_url.replace("{token}", raw),
            ),
        )
    audit.record(
        session,
        "holder.password_reset_requested",
        actor_type="anonymous",
        ip=ip,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()
    return raw


def valid_token(session: Session, raw: str, now: dt.datetime | None = None) -> HolderToken | None:
    """The unused, unexpired reset token of an active holder whose address has not changed."""
    now = now or now_utc()
    token = session.scalar(
        select(HolderToken).where(
            HolderToken.token_hash == _hash(raw), HolderToken.purpose == PURPOSE
        )
    )
    if token is None or token.used_at is not None or token.expires_at < now:
        return None
    holder = session.get(Holder, token.holder_id)
    if holder is None or not holder.active or holder.email != token.email:
        return None
    return token


def reset_password(
    session: Session,
    raw: str,
    password: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Holder | None:
    """Set the new password with the link, once. None when the link is not valid (any more);
    DomainError (field "password") when the password is refused — the link stays usable."""
    now = now or now_utc()
    token = valid_token(session, raw, now)
    if token is None:
        return None
    holder = session.get_one(Holder, token.holder_id)
    problem = password_problem(password or "", email=holder.email)
    if problem:
        raise DomainError(problem, field="password")
    used = rows_changed(
        session,
        update(HolderToken)
        .where(HolderToken.id == token.id, HolderToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    if used != 1:  # used by a request running at the same time
        return None
    session.execute(
        update(HolderToken)
        .where(  # the holder's other reset links die with it
            HolderToken.holder_id == holder.id,
            HolderToken.purpose == PURPOSE,
            HolderToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    cred = session.get_one(HolderCredential, holder.id)
    cred.password_hash = hash_secret(normalize_password(password))
    cred.failed_logins, cred.locked_until = 0, None
    cred.email_confirmed_at = cred.email_confirmed_at or now
    session.execute(
        update(HolderSession)
        .where(HolderSession.holder_id == holder.id, HolderSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    with with_locale(language_of(holder)):
        outbox.add_email(
            session,
            holder.email,
            _("eATA wallet: your password was changed"),
            _(
                "Hello %(name)s,\n\nThe password of your eATA wallet was changed with a reset "
                "link on %(when)s, and every open session was ended.\n\nIf it was not you, "
                "contact your issuing association at once.\n\neATA\n",
                name=holder.legal_name,
                when=fmt_datetime(now, "medium"),
            ),
        )
    audit.by_holder(session, "holder.password_reset", holder, ip=ip)
    session.flush()
    return holder
