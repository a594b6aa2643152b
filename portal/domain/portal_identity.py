"""The built-in identity of the small portals — the operator's console (ops.<domain>) and the
chamber portal (chamber.<domain>): the customs password policy and hashing, the same lockout,
TOTP always, server-side sessions with idle and absolute timeouts. One implementation for
both, bound to each portal's account and session models (`PortalIdentity`); the portals'
modules (portal/domain/info/operators.py, portal/domain/chambers.py) add who may sign in."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import DomainError, mfa
from portal.domain.identity import LOCK_AFTER, LOCK_MINUTES
from portal.domain.passwords import normalize_password, verify_secret

TOUCH_EVERY = dt.timedelta(seconds=60)


def _always(_person: Any) -> bool:
    return True


@dataclass(frozen=True)
class PortalIdentity:
    """`person`: the account model (email, password_hash, active, failed_logins, locked_until,
    totp_secret_enc, totp_last_counter, last_login_at); `session_model`: its sessions (id,
    `owner_fk`, created_at, last_seen_at, ip, revoked_at, mfa_at, relationship `owner`);
    `may_sign_in`: what else an account needs to sign in or keep a session (e.g. an active
    association)."""

    person: Any
    session_model: Any
    owner_fk: str
    owner: str
    idle: dt.timedelta
    absolute: dt.timedelta
    may_sign_in: Callable[[Any], bool] = _always

    def check_login(
        self, session: Session, email: str, password: str, now: dt.datetime | None = None
    ) -> tuple[str, Any]:
        """('ok' | 'bad' | 'locked', account) of the password step; an unknown, inactive or
        not yet set-up account spends the time of a real check and is 'bad'."""
        now = now or now_utc()
        P = self.person
        person = session.scalar(select(P).where(P.email == (email or "").strip().lower()))
        if (
            person is None
            or not person.active
            or not person.password_hash
            or not self.may_sign_in(person)
        ):
            verify_secret(None, password)
            return "bad", None
        if person.locked_until is not None and person.locked_until > now:
            verify_secret(None, password)
            return "locked", person
        if verify_secret(person.password_hash, normalize_password(password)):
            return "ok", person
        self.record_failure(session, person, now)
        return "bad", person

    def record_failure(self, session: Session, person: Any, now: dt.datetime | None = None) -> None:
        """One more failed password (counted in the database, so parallel attempts all count);
        LOCK_AFTER of them lock the account for LOCK_MINUTES."""
        now = now or now_utc()
        P = self.person
        session.flush()
        session.execute(
            update(P)
            .where(P.id == person.id)
            .values(failed_logins=P.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(person, ["failed_logins"])
        if person.failed_logins >= LOCK_AFTER:
            person.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            person.failed_logins = 0

    def open_session(self, session: Session, person: Any, ip: str | None) -> Any:
        now = now_utc()
        row = self.session_model(
            id=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            ip=ip,
            **{self.owner_fk: person.id},
        )
        session.add(row)
        session.flush()
        return row

    def live_session(self, session: Session, sid: str, now: dt.datetime | None = None) -> Any:
        """The session if it is still valid (its account active and allowed); idle or too old,
        it is revoked now. Touches last_seen_at at most every TOUCH_EVERY."""
        now = now or now_utc()
        row = session.get(self.session_model, sid)
        if row is None or row.revoked_at is not None:
            return None
        person = getattr(row, self.owner)
        if not person.active or not self.may_sign_in(person):
            return None
        if now - row.created_at > self.absolute or now - row.last_seen_at > self.idle:
            row.revoked_at = now
            session.commit()
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            row.last_seen_at = now
            session.commit()
        return row

    def revoke_session(self, session: Session, sid: str) -> None:
        row = session.get(self.session_model, sid)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now_utc()

    def revoke_all(self, session: Session, person_id: int) -> None:
        S = self.session_model
        session.execute(
            update(S)
            .where(getattr(S, self.owner_fk) == person_id, S.revoked_at.is_(None))
            .values(revoked_at=now_utc())
        )

    def verify_totp(
        self, session: Session, person: Any, code: str, now: dt.datetime | None = None
    ) -> bool:
        """The account's TOTP code, accepted once per time-step (mfa.totp_counter): the
        counter moves forward in the database, so a replayed code fails also in parallel."""
        if not person.totp_secret_enc:
            return False
        counter = mfa.totp_counter(
            mfa.decrypt(person.totp_secret_enc), code, now or now_utc(), person.totp_last_counter
        )
        if counter is None:
            return False
        P = self.person
        session.flush()
        moved = rows_changed(
            session,
            update(P)
            .where(
                P.id == person.id,
                or_(P.totp_last_counter.is_(None), P.totp_last_counter < counter),
            )
            .values(totp_last_counter=counter)
            .execution_options(synchronize_session=False),
        )
        if moved != 1:
            return False
        session.refresh(person, ["totp_last_counter"])
        return True

    @staticmethod
    def is_locked(person: Any, now: dt.datetime | None = None) -> bool:
        return person.locked_until is not None and person.locked_until > (now or now_utc())

    def check_code(
        self, session: Session, person: Any, code: str, now: dt.datetime | None = None
    ) -> str:
        """The code step after the password: 'ok', 'bad' (counted like a wrong password) or
        'locked' — the lock that wrong passwords and wrong codes set also stops the session
        waiting for its code (the caller ends it), so a known password does not buy unlimited
        guesses at the code."""
        now = now or now_utc()
        if self.is_locked(person, now):
            return "locked"
        if self.verify_totp(session, person, code, now):
            return "ok"
        self.record_failure(session, person, now)
        return "locked" if self.is_locked(person, now) else "bad"

    @staticmethod
    def enrol_totp(person: Any, secret: str, code: str, now: dt.datetime | None = None) -> None:
        counter = mfa.totp_counter(secret, code, now or now_utc())
        if counter is None:
            raise DomainError(
                _(
                    "This code does not match. Check the time on your phone and type the code "
                    "your app shows now."
                ),
                field="code",
            )
        person.totp_secret_enc = mfa.encrypt(secret)
        person.totp_last_counter = counter

    @staticmethod
    def passed_mfa(row: Any, person: Any) -> None:
        now = now_utc()
        row.mfa_at = now
        person.failed_logins = 0
        person.locked_until = None
        person.last_login_at = now
