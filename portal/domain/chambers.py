"""The issuing associations' staff (chamber.<domain>, docs/transition.md "The chamber portal").

Staff of an issuing association (a chamber of commerce) sign in with the built-in identity of
the other portals — the customs password policy and hashing, the same lockout, TOTP always, as
for operators (portal/domain/info/operators.py) — and see their association's carnets only: the
association is their tenant. The operator creates an association's first staff account (an
admin); a staff admin invites colleagues. Both get a single-use invitation link to set their
password. Every change is audited on the NGA's chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, undefer

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, audit, values
from portal.domain.api_clients import Actor
from portal.domain.carnets import EATA_ID_MAX, EATA_ID_MIN, fmt_date, holder_of, lifecycle
from portal.domain.codes import keyed_hash, new_token
from portal.domain.organisation.fields import Fields
from portal.domain.paging import PER_PAGE, Page, keyset_page
from portal.domain.passwords import hash_secret, normalize_password, password_problem
from portal.domain.portal_identity import PortalIdentity
from portal.domain.rules import country_name, label
from portal.domain.transition import DischargeView, discharge_view, goods_away
from portal.models import Carnet, ChamberSession, ChamberStaff, ChamberToken, IssuingAssociation
from portal.models.chambers import STAFF_ROLES

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=10)
INVITATION_DAYS = 14
CARNET_STATUSES = ("issued", "active", "blocked", "expired", "discharged", "cancelled")


def actor_of(staff: ChamberStaff, ip: str | None = None) -> Actor:
    """The staff member as the audit trail records them (domain functions taking an Actor)."""
    return Actor("chamber_staff", staff.id, staff.email, ip)


def _record(session: Session, action: str, actor: Actor, association: IssuingAssociation, **kw):
    audit.record(
        session,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        ip=actor.ip,
        nga_id=association.nga_id,
        **kw,
    )


# --- accounts and invitations -----------------------------------------------------------------


def create_staff(
    session: Session,
    association: IssuingAssociation,
    email: str,
    full_name: str,
    role: str,
    *,
    actor: Actor,
    by: ChamberStaff | None = None,
) -> ChamberStaff:
    """A new staff account without a password: the caller sends its invitation. `by` is the
    staff admin who invites (None: the operator, who creates an association's first admin)."""
    if by is not None and (by.staff_role != "admin" or by.association_id != association.id):
        raise PermissionDenied(_("Only your association's staff admins invite colleagues."))
    fields = Fields()
    email = fields.check("email", lambda: values.email_address(email))
    name = fields.check("full_name", lambda: values.full_name(full_name))
    if role not in STAFF_ROLES:
        fields.refuse("role", _("Choose a role."))
    fields.done()
    if not association.active:
        raise Conflict(_("This issuing association is not active."), field="email")
    if session.scalar(select(ChamberStaff.id).where(ChamberStaff.email == email)):
        raise Conflict(
            _("A staff account with email %(email)s already exists.", email=email), field="email"
        )
    staff = ChamberStaff(
        association_id=association.id,
        email=email,
        full_name=name,
        staff_role=role,
        invited_by=actor.label[:254],
        failed_logins=0,
        active=True,
    )
    session.add(staff)
    session.flush()
    _record(
        session,
        "chamber_staff.invited",
        actor,
        association,
        object_type="chamber_staff",
        object_id=staff.id,
        data={"email": email, "role": role, "association_id": association.id},
    )
    return staff


def first_admin(
    session: Session, association: IssuingAssociation, email: str, full_name: str, actor: Actor
) -> ChamberStaff:
    """The operator's part: an association's first staff account, an admin. While an active
    admin exists, further accounts are invited by the association's own admins (the operator
    steps in again only for an association left without one)."""
    if has_admin(session, association, accepted=True):
        raise Conflict(
            _(
                "%(name)s already has a staff admin: they invite their colleagues themselves.",
                name=association.name,
            ),
            field="email",
        )
    if has_admin(session, association):
        raise Conflict(
            _(
                "%(name)s's first staff admin has not set a password yet: send them a new "
                "invitation.",
                name=association.name,
            ),
            field="email",
        )
    return create_staff(session, association, email, full_name, "admin", actor=actor)


def has_admin(session: Session, association: IssuingAssociation, *, accepted: bool = False) -> bool:
    """Whether the association has an active staff admin (then the operator's console offers
    no second first admin). `accepted`: one who set their password, so who can invite their
    colleagues; an admin invited who never accepted gets a new link from the operator."""
    stmt = select(ChamberStaff.id).where(
        ChamberStaff.association_id == association.id,
        ChamberStaff.staff_role == "admin",
        ChamberStaff.active.is_(True),
    )
    if accepted:
        stmt = stmt.where(ChamberStaff.password_hash.is_not(None))
    return session.scalar(stmt.limit(1)) is not None


def issue_invitation(session: Session, staff: ChamberStaff, days: int = INVITATION_DAYS) -> str:
    """A new single-use link token for `staff` (earlier unused ones stop working); only its
    keyed hash is stored. Returns the raw token."""
    now = now_utc()
    session.execute(
        update(ChamberToken)
        .where(ChamberToken.staff_id == staff.id, ChamberToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = new_token()
    session.add(
        ChamberToken(
            staff_id=staff.id,
            token_hash=keyed_hash(raw),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
    )
    session.flush()
    return raw


def invitation_staff(session: Session, raw: str) -> ChamberStaff | None:
    """The active staff account of a valid (unused, unexpired) invitation token."""
    tok = session.scalar(select(ChamberToken).where(ChamberToken.token_hash == keyed_hash(raw)))
    if tok is None or tok.used_at is not None or tok.expires_at <= now_utc():
        return None
    staff = session.get(ChamberStaff, tok.staff_id)
    return staff if staff is not None and staff.active else None


def accept_invitation(session: Session, raw: str, password: str) -> ChamberStaff:
    """Set the password with an invitation link (used up once: two uses, one success). The
    person is not logged in by it: they log in next, with TOTP."""
    staff = invitation_staff(session, raw)
    if staff is None:
        raise NotFound(
            _("This link has expired or was already used. Ask your admin for a new one.")
        )
    problem = password_problem(password, email=staff.email, mfa_enabled=True)
    if problem:
        raise DomainError(problem, field="password")
    used = rows_changed(
        session,
        update(ChamberToken)
        .where(ChamberToken.token_hash == keyed_hash(raw), ChamberToken.used_at.is_(None))
        .values(used_at=now_utc()),
    )
    if used != 1:
        raise NotFound(_("This link has expired or was already used."))
    staff.password_hash = hash_secret(normalize_password(password))
    staff.failed_logins = 0
    staff.locked_until = None
    revoke_sessions(session, staff.id)
    return staff


def record_staff_change(
    session: Session, person: ChamberStaff, what: str, actor: Actor, **data: str
) -> None:
    _record(
        session,
        f"chamber_staff.{what}",
        actor,
        person.association,
        object_type="chamber_staff",
        object_id=person.id,
        data={"email": person.email, **data},
    )


def check_first_admin_reinvite(
    session: Session, association: IssuingAssociation, person: ChamberStaff
) -> None:
    """The operator's new link for a first staff admin who never accepted (the earlier link
    stops working): only an admin of this association without a password, while it has no
    admin who could send the link themselves."""
    if person.association_id != association.id:
        raise NotFound(_("No such staff account."))
    if person.staff_role != "admin" or person.password_hash is not None:
        raise Conflict(
            _(
                "%(email)s has already set a password: the association's staff admins send "
                "them a new link.",
                email=person.email,
            )
        )
    check_reinvite(person)
    if has_admin(session, association, accepted=True):
        raise Conflict(
            _(
                "%(name)s already has a staff admin: they invite their colleagues themselves.",
                name=association.name,
            )
        )


def check_reinvite(person: ChamberStaff) -> None:
    """A new link for an active colleague: an invitation not used in time, or a forgotten
    password (the link sets a new one; the authenticator app stays: a link never bypasses the
    second factor)."""
    if not person.active:
        raise Conflict(_("%(email)s is disabled: enable them first.", email=person.email))


def set_active(
    session: Session, by: ChamberStaff, person: ChamberStaff, active: bool, actor: Actor
) -> None:
    """A staff admin disables (every session of the person ends) or enables a colleague of
    their own association; never themselves (an association keeps an admin who can log in)."""
    _check_admin_of(by, person)
    if person.active == active:
        return
    person.active = active
    if not active:
        revoke_sessions(session, person.id)
    record_staff_change(session, person, "enabled" if active else "disabled", actor)


def reset_totp(session: Session, by: ChamberStaff, person: ChamberStaff, actor: Actor) -> None:
    """A colleague lost their authenticator app: a staff admin of their association removes it
    (their sessions end); the person enrols a new one at their next login, after the password."""
    _check_admin_of(by, person)
    person.totp_secret_enc = None
    person.totp_last_counter = None
    revoke_sessions(session, person.id)
    record_staff_change(session, person, "totp_reset", actor)


def _check_admin_of(by: ChamberStaff, person: ChamberStaff) -> None:
    if by.staff_role != "admin" or by.association_id != person.association_id:
        raise PermissionDenied(_("Only your association's staff admins manage its staff."))
    if by.id == person.id:
        raise Conflict(_("An admin does not change their own account here."))


def staff_of(session: Session, association_id: int) -> list[ChamberStaff]:
    return list(
        session.scalars(
            select(ChamberStaff)
            .where(ChamberStaff.association_id == association_id)
            .order_by(ChamberStaff.full_name, ChamberStaff.id)
        )
    )


@dataclass(frozen=True)
class StaffState:
    """Where a staff account stands, as its row in a staff list says: "invited" (no password
    yet; the link expires at `until`), "invitation_expired" (no password, no link that works:
    send a new one), "active", "locked" (wrong passwords or codes, until `until`) or
    "disabled"."""

    kind: str
    until: dt.datetime | None = None


def staff_states(
    session: Session, people: list[ChamberStaff], now: dt.datetime | None = None
) -> dict[int, StaffState]:
    """The state of each of `people` by id (one query for the invitation links)."""
    now = now or now_utc()
    waiting = [p.id for p in people if p.password_hash is None]
    expires: dict[int, dt.datetime] = {}
    if waiting:
        expires = {
            staff_id: until
            for staff_id, until in session.execute(
                select(ChamberToken.staff_id, func.max(ChamberToken.expires_at))
                .where(
                    ChamberToken.staff_id.in_(waiting),
                    ChamberToken.used_at.is_(None),
                    ChamberToken.expires_at > now,
                )
                .group_by(ChamberToken.staff_id)
            )
        }
    states = {}
    for p in people:
        if not p.active:
            states[p.id] = StaffState("disabled")
        elif p.password_hash is None:
            until = expires.get(p.id)
            states[p.id] = (
                StaffState("invited", until) if until else StaffState("invitation_expired")
            )
        elif IDENTITY.is_locked(p, now):
            states[p.id] = StaffState("locked", p.locked_until)
        else:
            states[p.id] = StaffState("active")
    return states


# --- login: password, then TOTP (always) ------------------------------------------------------


# the portal's identity (portal/domain/portal_identity.py), bound to the staff's models: a
# staff member signs in, and keeps a session, only while the association is active
IDENTITY = PortalIdentity(
    ChamberStaff,
    ChamberSession,
    "staff_id",
    "staff",
    IDLE,
    ABSOLUTE,
    may_sign_in=lambda staff: staff.association.active,
)
check_login = IDENTITY.check_login
record_failure = IDENTITY.record_failure
open_session = IDENTITY.open_session
live_session = IDENTITY.live_session
revoke_sessions = IDENTITY.revoke_all


# --- the association's carnets ----------------------------------------------------------------

CARNET_KEYS = (Carnet.id,)


@dataclass
class CarnetFilter:
    q: str = ""  # a carnet number (or its beginning) or an eATA ID
    status: str = ""  # one of CARNET_STATUSES, or all
    page: int = 1


def carnets_page(
    session: Session,
    association_id: int,
    f: CarnetFilter,
    *,
    after: str | None = None,
    before: str | None = None,
    per_page: int = PER_PAGE,
    today: dt.date | None = None,
) -> Page:
    """A page of the association's carnets, newest first (keyset on the association's index)."""
    stmt = (
        select(Carnet)
        .where(Carnet.issuing_association_id == association_id)
        .options(undefer(Carnet.paper_validated))  # the status shown, in the same query
    )
    q = f.q.strip().upper()[:32]
    if q:
        by_number = Carnet.carnet_number.startswith(q, autoescape=True)
        is_id = q.isdigit() and EATA_ID_MIN <= int(q) <= EATA_ID_MAX
        stmt = stmt.where(or_(by_number, Carnet.eata_id == int(q)) if is_id else by_number)
    stmt = stmt.where(*status_filter(f.status, today or now_utc().date()))
    return keyset_page(
        session,
        stmt,
        CARNET_KEYS,
        lambda c: (c.id,),
        page=f.page,
        after=after,
        before=before,
        per_page=per_page,
    )


def status_filter(status: str, today: dt.date) -> list:
    """The carnets whose status as people see it (Carnet.effective_status: a live carnet past
    its validity is expired, an issued one validated on paper is active) is `status`; any
    other value filters nothing."""
    if status in CARNET_STATUSES:
        return Carnet.status_is(status, today)
    return []


@dataclass
class CarnetScreen:
    """What the carnet page shows: the transactions side by side (F-74), and which of the two
    ends of a carnet applies — its discharge or its cancellation — with why the other does not."""

    carnet: Carnet
    holder_name: str  # decrypted for the page (the holder's name, as issued)
    view: DischargeView
    validated_on: dt.date | None  # validated by customs: digitally, or on paper (recorded)
    discharge_refusal: str | None  # why it cannot be discharged now, in words
    cancel_refusal: str | None  # why it cannot be cancelled, in words

    @property
    def action(self) -> str | None:
        """The action the page offers: "discharge", "cancel", or None (neither applies)."""
        if self.discharge_refusal is None:
            return "discharge"
        return "cancel" if self.cancel_refusal is None else None


def _refusal(check) -> str | None:
    try:
        check()
    except DomainError as exc:
        return exc.message
    return None


def discharge_refusal(
    session: Session, carnet: Carnet, view: DischargeView, today: dt.date
) -> str | None:
    """Why the chamber cannot discharge `carnet` now, or None. Besides the life-cycle rule
    (validated by customs, digitally or on paper; not cancelled or discharged already), the
    goods must be back home (transition.goods_away): otherwise the security is maintained."""
    refusal = _refusal(lambda: lifecycle.check_allowed(carnet, "discharge", today, session))
    if refusal is not None:
        return refusal
    away = goods_away(view)
    if away is None:
        return None
    return _(
        "The goods are not back: after the %(kind)s in %(country)s on %(date)s no re-importation "
        "is recorded. Record the re-importation read on the returned paper carnet first; until "
        "then the security stays.",
        kind=label(away.kind),
        country=country_name(session, away.country_code),
        date=fmt_date(away.day),
    )


def carnet_screen(session: Session, carnet: Carnet, today: dt.date | None = None) -> CarnetScreen:
    today = today or now_utc().date()
    view = discharge_view(session, carnet)
    holder = holder_of(carnet)
    validated = carnet.activated_at.date() if carnet.activated_at else None
    return CarnetScreen(
        carnet,
        str(holder.get("name", "")),
        view,
        validated or lifecycle.paper_validation(session, carnet),
        discharge_refusal(session, carnet, view, today),
        _refusal(lambda: lifecycle.check_allowed(carnet, "cancel", today, session)),
    )


def _check_own(staff: ChamberStaff, carnet: Carnet) -> None:
    if carnet.issuing_association_id != staff.association_id:
        raise NotFound(_("No such carnet."))


def discharge(
    session: Session,
    staff: ChamberStaff,
    carnet: Carnet,
    reason: str,
    ip: str | None = None,
    today: dt.date | None = None,
) -> Carnet:
    """F-74 from the chamber's page: the carnet of the staff member's own association, its
    goods back home, is discharged (its unused vouchers blocked: lifecycle.discharge), audited
    as this person."""
    _check_own(staff, carnet)
    today = today or now_utc().date()
    refusal = discharge_refusal(session, carnet, discharge_view(session, carnet), today)
    if refusal is not None:
        raise Conflict(refusal, code="discharge_refused")
    return lifecycle.discharge(
        session, carnet, (reason or "").strip()[:500], actor_of(staff, ip), today=today
    )


def cancel(
    session: Session,
    staff: ChamberStaff,
    carnet: Carnet,
    reason: str,
    ip: str | None = None,
    today: dt.date | None = None,
) -> Carnet:
    """F-23 from the chamber's page: a carnet of the staff member's own association that
    customs never validated (digitally or on paper) is cancelled — the issuing association's
    right, as through its NICS (lifecycle.cancel: its sets and unused vouchers end with it)."""
    _check_own(staff, carnet)
    return lifecycle.cancel(
        session, carnet, (reason or "").strip()[:500], actor_of(staff, ip), today=today
    )
