"""Operators of the deployment (docs/operator.md): the built-in identity of the customs portal
— the same password policy and hashing, the same lockout, the same TOTP check — with the second
factor always required: an operator without TOTP enrols it before anything else."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError, audit, values
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.codes import keyed_hash, new_token
from portal.domain.organisation.fields import Fields
from portal.domain.passwords import hash_secret, normalize_password, password_problem
from portal.domain.portal_identity import PortalIdentity
from portal.models import Operator, OperatorSession

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=8)


def create_operator(
    session: Session, email: str, full_name: str, password: str, *, actor: Actor = OPERATOR
) -> Operator:
    """An operator with the password given (`flask ops create-operator`, the demo)."""
    email, full_name = _new_account(session, email, full_name)
    problem = password_problem(password, email=email, mfa_enabled=True)
    if problem:
        raise DomainError(problem, field="password")
    operator = Operator(
        email=email,
        full_name=full_name,
        password_hash=hash_secret(normalize_password(password)),
    )
    session.add(operator)
    session.flush()
    audit.by_actor(
        session,
        "operator.created",
        actor,
        object_type="operator",
        object_id=operator.id,
        data={"email": operator.email},
    )
    return operator


# the console's identity (portal/domain/portal_identity.py), bound to the operator's models
IDENTITY = PortalIdentity(Operator, OperatorSession, "operator_id", "operator", IDLE, ABSOLUTE)
check_login = IDENTITY.check_login
record_failure = IDENTITY.record_failure
open_session = IDENTITY.open_session
live_session = IDENTITY.live_session


# --- operator accounts in the console -------------------------------------------------------

INVITATION_DAYS = 7


def _new_account(session: Session, email: str, full_name: str) -> tuple[str, str]:
    fields = Fields()
    email = fields.check("email", lambda: values.email_address(email))
    full_name = fields.check("full_name", lambda: values.full_name(full_name))
    fields.done()
    if session.scalar(select(Operator).where(Operator.email == email)):
        raise Conflict(
            _("An operator with email %(email)s already exists.", email=email), field="email"
        )
    return email, full_name


def all_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.active.desc(), Operator.email)))


def invite_operator(
    session: Session,
    email: str,
    full_name: str,
    *,
    actor: Actor,
    days: int = INVITATION_DAYS,
) -> tuple[Operator, str]:
    """A new operator without a password: returns it and the raw token of its single-use link
    (only the keyed hash is stored). They set a password there, then enrol TOTP at the first
    login like every operator."""
    email, full_name = _new_account(session, email, full_name)
    raw = new_token()
    operator = Operator(
        email=email,
        full_name=full_name,
        password_hash=None,
        invite_hash=keyed_hash(raw),
        invite_expires_at=now_utc() + dt.timedelta(days=days),
    )
    session.add(operator)
    session.flush()
    audit.by_actor(
        session,
        "operator.invited",
        actor,
        object_type="operator",
        object_id=operator.id,
        data={"email": email},
    )
    return operator, raw


def renew_invitation(
    session: Session, operator: Operator, *, actor: Actor, days: int = INVITATION_DAYS
) -> str:
    """A new link for an operator who has not set a password yet (the old one stops working)."""
    if operator.password_hash is not None:
        raise Conflict(_("This operator has already set a password."), field="email")
    raw = new_token()
    operator.invite_hash = keyed_hash(raw)
    operator.invite_expires_at = now_utc() + dt.timedelta(days=days)
    audit.by_actor(
        session, "operator.invited", actor, object_type="operator", object_id=operator.id,
        data={"email": operator.email, "renewed": True},
    )  # fmt: skip
    return raw


def invited(session: Session, raw: str, now: dt.datetime | None = None) -> Operator | None:
    """The active operator whose unexpired invitation link this is, or None."""
    if not raw:
        return None
    operator = session.scalar(select(Operator).where(Operator.invite_hash == keyed_hash(raw)))
    if operator is None or not operator.active or operator.invite_expires_at is None:
        return None
    return operator if operator.invite_expires_at > (now or now_utc()) else None


def accept_invitation(session: Session, raw: str, password: str, ip: str | None) -> Operator:
    """The invited operator's password set (the customs password policy); the link is used."""
    operator = invited(session, raw)
    if operator is None:
        raise DomainError(
            _("This link is not valid any more. Ask another operator for a new one."),
            field="password",
        )
    problem = password_problem(password, email=operator.email, mfa_enabled=True)
    if problem:
        raise DomainError(problem, field="password")
    # the link is used once: the first of two simultaneous submits claims it, the other
    # finds it gone (a conditional UPDATE, not a read then a write)
    session.flush()
    claimed = rows_changed(
        session,
        update(Operator)
        .where(Operator.id == operator.id, Operator.invite_hash == operator.invite_hash)
        .values(
            password_hash=hash_secret(normalize_password(password)),
            invite_hash=None,
            invite_expires_at=None,
        )
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise DomainError(
            _("This link is not valid any more. Ask another operator for a new one."),
            field="password",
        )
    session.refresh(operator)
    audit.by_actor(
        session,
        "operator.password_set",
        Actor("operator", operator.id, operator.email, ip),
        object_type="operator",
        object_id=operator.id,
    )
    return operator


def _revoke_all(session: Session, operator: Operator) -> None:
    session.execute(
        update(OperatorSession)
        .where(OperatorSession.operator_id == operator.id, OperatorSession.revoked_at.is_(None))
        .values(revoked_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def set_active(session: Session, operator: Operator, active: bool, *, actor: Actor) -> bool:
    """Deactivate (their sessions end, they cannot log in) or reactivate an operator. Refused
    for oneself and for the last active operator (nobody could run the console any more).
    Returns whether anything changed."""
    if operator.active == active:
        return False
    if not active:
        if operator.id == actor.id:
            raise DomainError(
                _("You cannot deactivate your own account. Ask another operator."),
                field="operator",
            )
        # the active operators' rows locked before counting: two operators deactivating each
        # other at the same moment cannot leave nobody (the second waits, then counts)
        others = len(
            session.scalars(
                select(Operator.id)
                .where(Operator.active.is_(True), Operator.id != operator.id)
                .with_for_update()
            ).all()
        )
        if not others:
            raise DomainError(
                _("%(email)s is the last active operator: it cannot be deactivated.",
                  email=operator.email),
                field="operator",
            )  # fmt: skip
        _revoke_all(session, operator)
    operator.active = active
    audit.by_actor(
        session,
        "operator.reactivated" if active else "operator.deactivated",
        actor,
        object_type="operator",
        object_id=operator.id,
        data={"email": operator.email},
    )
    return True


def reset_mfa(session: Session, operator: Operator, *, actor: Actor) -> None:
    """The operator's authenticator app forgotten (lost phone): their sessions end and they
    enrol a new one at the next login."""
    operator.totp_secret_enc = None
    operator.totp_last_counter = None
    _revoke_all(session, operator)
    audit.by_actor(
        session,
        "operator.mfa_reset",
        actor,
        object_type="operator",
        object_id=operator.id,
        data={"email": operator.email},
    )
