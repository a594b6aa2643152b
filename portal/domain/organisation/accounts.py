"""Customs accounts (F-13, F-14, R-16): list, create, update, enable/disable, force a password
change, reset, delete — within the actor's reach (portal/domain/organisation/scope.py). A new
login email is never applied by an edit: it is confirmed by a link to the new address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.domain import DomainError, PermissionDenied
from portal.domain.identity import TOKEN_PURPOSES, request_email_change
from portal.domain.organisation.base import (
    Changes,
    apply_changes,
    delete_or_conflict,
    flush_or_conflict,
    search,
)
from portal.domain.organisation.fields import Fields, email_address, text_of
from portal.domain.organisation.scope import (
    account_reach,
    get_account,
    is_regional,
    office_of,
    region_of,
)
from portal.domain.permissions import (
    ROLE_NAMES,
    ROLES,
    creatable_roles,
    is_region_bound,
    manageable_roles,
)
from portal.domain.sessions import revoke_all_sessions
from portal.domain.tokens import end_tokens
from portal.models import Account, Office, Region


def account_list(
    actor: Account,
    *,
    q: str | None = None,
    role: str | None = None,
    region_id: int | None = None,
    office_id: int | None = None,
    active: bool | None = None,
) -> Select:
    stmt = select(Account).where(*account_reach(actor))
    cond = search(q, Account.full_name, Account.email)
    if cond is not None:
        stmt = stmt.where(cond)
    if role in ROLES:
        stmt = stmt.where(Account.role == role)
    if region_id is not None:
        stmt = stmt.where(Account.region_id == region_id)
    if office_id is not None:
        stmt = stmt.where(Account.office_id == office_id)
    if active is not None:
        stmt = stmt.where(Account.active.is_(active))
    return stmt.order_by(func.lower(Account.full_name), Account.id)


def visible_roles(actor: Account) -> list[str]:
    """Regional managers never see admins; otherwise the roles the actor may manage."""
    return manageable_roles(actor.role)


def _account_values(
    session: Session, actor: Account, account: Account | None, data: dict[str, Any]
) -> dict[str, Any]:
    fields = Fields()
    full_name = fields.check(
        "full_name", lambda: text_of("account", "full_name", data.get("full_name"))
    )
    email = fields.check("email", lambda: _checked_email(session, actor, account, data))
    role = fields.check("role", lambda: _checked_role(actor, account, data))
    region = fields.check("region_id", lambda: _checked_region(session, actor, account, data, role))
    office = (
        fields.check("office_id", lambda: _checked_office(session, actor, data, region))
        if "region_id" not in fields.errors
        else None
    )
    fields.done()
    return {
        "full_name": full_name,
        "email": email,
        "role": role,
        "region_id": region.id if region else None,
        "office_id": office.id if office else None,
    }


def _is_self(actor: Account, account: Account | None) -> bool:
    """The actor edits their own account (then `account` is `actor`)."""
    return account is not None and account.id == actor.id


def _checked_email(
    session: Session, actor: Account, account: Account | None, data: dict[str, Any]
) -> str:
    email = email_address(data.get("email"))
    clash = session.scalar(
        select(Account.id).where(
            Account.customs_id == actor.customs_id,
            Account.email == email,
            *([Account.id != account.id] if account is not None else []),
        )
    )
    if clash is not None:
        raise DomainError(_("Another account already uses this email address."), "email")
    if _is_self(actor, account) and email != actor.email:
        # the account menu's change needs the password again and the new address confirmed
        raise DomainError(
            _("Change your own login email from the account menu (Change email)."), "email"
        )
    return email


def _checked_role(actor: Account, account: Account | None, data: dict[str, Any]) -> str:
    role = data.get("role") or ""
    if role not in ROLES:
        raise DomainError(_("Choose a role."), "role")
    is_self = _is_self(actor, account)
    if is_self and role != actor.role:
        raise DomainError(_("You cannot change your own role: ask another admin."), "role")
    # creating follows the matrix; changing an account's role, only to a role one manages
    allowed = creatable_roles(actor.role) if account is None else manageable_roles(actor.role)
    if role not in allowed and not is_self:
        raise PermissionDenied(
            _("You may not manage %(role)s accounts.", role=ROLE_NAMES[role].lower()), "role"
        )
    return role


def _checked_region(
    session: Session,
    actor: Account,
    account: Account | None,
    data: dict[str, Any],
    role: str | None,
) -> Region | None:
    """`role` None: the role was refused, so the region is required as for most roles."""
    bound = role is None or is_region_bound(role)
    region = region_of(session, actor.customs_id, data.get("region_id"), required=bound)
    if region is not None and is_regional(actor) and region.id != actor.region_id:
        raise DomainError(_("You can only manage accounts of your own region."), "region_id")
    if _is_self(actor, account) and (region.id if region else None) != actor.region_id:
        raise DomainError(_("You cannot change your own region: ask an admin."), "region_id")
    return region


def _checked_office(
    session: Session, actor: Account, data: dict[str, Any], region: Region | None
) -> Office | None:
    office = office_of(session, actor.customs_id, data.get("office_id"))
    if office is None:
        return None
    if region is not None and office.region_id != region.id:
        raise DomainError(
            _("Choose an office of the region “%(name)s”.", name=region.name), "office_id"
        )
    if is_regional(actor) and office.region_id != actor.region_id:
        raise DomainError(_("Choose an office of your own region."), "office_id")
    return office


def create_account(session: Session, actor: Account, data: dict[str, Any]) -> Account:
    """A new account, without a password: the caller sends the invitation (F-11)."""
    values = _account_values(session, actor, None, data)
    account = Account(
        customs_id=actor.customs_id,
        active=bool(data.get("active", True)),
        password_hash=None,
        **values,
    )
    session.add(account)
    flush_or_conflict(session, _("Another account already uses this email address."), "email")
    return account


def update_account(
    session: Session, actor: Account, account: Account, data: dict[str, Any]
) -> AccountUpdate:
    """Save the account's fields. A new email is not applied: it is returned as an
    EmailChange (a link for the new address, which changes the email when followed — F-13),
    and the invitation/reset links sent to the current address stop working at once."""
    get_account(session, actor, account.id)
    values = _account_values(session, actor, account, data)
    new_email = values.pop("email")
    changes = apply_changes(account, values)
    session.flush()
    if new_email == account.email:
        return AccountUpdate(changes)
    end_tokens(session, account.id, TOKEN_PURPOSES)
    new_email, raw = request_email_change(session, account, new_email)
    return AccountUpdate(changes, EmailChange(account.email, new_email, raw))


@dataclass(frozen=True)
class EmailChange:
    """A requested change of an account's login email: `token` goes to `new` in a link."""

    old: str
    new: str
    token: str


@dataclass(frozen=True)
class AccountUpdate:
    changes: Changes
    email_change: EmailChange | None = None


def set_account_active(session: Session, actor: Account, account: Account, active: bool) -> Changes:
    """Enable or disable; disabling ends every open session of the account on the server."""
    get_account(session, actor, account.id)
    if account.id == actor.id and not active:
        raise DomainError(_("You cannot disable your own account."))
    changes = apply_changes(account, {"active": bool(active)})
    if not active:
        revoke_all_sessions(session, account.id)
    session.flush()
    return changes


def force_password_change(session: Session, actor: Account, account: Account) -> Changes:
    get_account(session, actor, account.id)
    changes = apply_changes(account, {"must_change_password": True})
    session.flush()
    return changes


def check_can_reset(session: Session, actor: Account, account: Account) -> None:
    get_account(session, actor, account.id)
    if not account.active:
        raise DomainError(_("This account is disabled: enable it before sending a reset link."))


def delete_account(session: Session, actor: Account, account: Account) -> dict[str, Any]:
    """Delete the account (its sessions and tokens go with it); refuses deleting yourself."""
    get_account(session, actor, account.id)
    if account.id == actor.id:
        raise DomainError(_("You cannot delete your own account."))
    snapshot = {
        "email": account.email,
        "full_name": account.full_name,
        "role": account.role,
        "region_id": account.region_id,
        "office_id": account.office_id,
    }
    revoke_all_sessions(session, account.id)
    delete_or_conflict(
        session,
        account,
        _("This account is still referenced by transactions or other records: disable it instead."),
    )
    return snapshot
