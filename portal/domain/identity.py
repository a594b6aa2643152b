"""Accounts' credentials (F-10, F-11): password login with temporary lockout, setting and
changing passwords, invitations and resets, login email and default office, new administrations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from portal.db import MAX_ID, now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, audit, values
from portal.domain.info import directory
from portal.domain.passwords import (
    hash_secret,
    normalize_password,
    password_problem,
    verify_secret,
)
from portal.domain.permissions import is_region_bound
from portal.domain.sessions import revoke_all_sessions
from portal.domain.tokens import consume_token, end_tokens, issue_token, peek_token
from portal.i18n import fmt_time
from portal.models import Account, Country, CustomsAdministration, Office

LOCK_AFTER = 5  # failed attempts (password or second factor) in a row …
LOCK_MINUTES = 15  # … lock the account for this long
REAUTH_MINUTES = 5  # MFA and email changes need the password typed this recently
TOKEN_PURPOSES = ("invite", "reset")  # the links of /set-password/<token>


def find_account(session: Session, customs_id: int, email: str) -> Account | None:
    return session.scalar(
        select(Account).where(
            Account.customs_id == customs_id, Account.email == email.strip().lower()
        )
    )


def active_account(session: Session, customs_id: int, account_id: int) -> Account | None:
    """The active account `account_id` of this administration (a pending login's), or None."""
    return session.scalar(
        select(Account).where(
            Account.id == account_id, Account.customs_id == customs_id, Account.active.is_(True)
        )
    )


def is_locked(account: Account, now: dt.datetime | None = None) -> bool:
    return account.locked_until is not None and account.locked_until > (now or now_utc())


def lock_message(account: Account) -> str:
    """The refusal shown for a locked account (is_locked)."""
    if account.locked_until is None:
        raise ValueError("lock_message of an account that is not locked")
    return _(
        "This account is locked for %(minutes)s minutes after %(attempts)s failed attempts. "
        'Try again after %(time)s, or reset your password with "Forgot your password?".',
        minutes=LOCK_MINUTES,
        attempts=LOCK_AFTER,
        time=fmt_time(account.locked_until, "HH:mm zzz"),
    )


def record_failure(account: Account, now: dt.datetime | None = None) -> bool:
    """Count a failed password or code; True when this failure locks the account."""
    now = now or now_utc()
    if account.locked_until is not None and account.locked_until <= now:
        account.failed_logins = 0  # the previous lock has run out: start counting again
        account.locked_until = None
    session = object_session(account)
    if session is not None and account.id is not None:
        # counted in SQL, so parallel guesses from many addresses are all counted
        session.flush()
        session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(failed_logins=Account.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(account, ["failed_logins"])
    else:
        account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins >= LOCK_AFTER:
        account.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        account.failed_logins = 0
        return True
    return False


def record_success(account: Account, now: dt.datetime | None = None) -> None:
    account.failed_logins = 0
    account.locked_until = None


@dataclass
class PasswordCheck:
    """The outcome of the password step: `outcome` is 'ok', 'bad', 'locked' (already locked) or
    'lockout' (this failure locked it). `account` is None for an unknown or disabled email."""

    outcome: str
    account: Account | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def check_password_login(
    session: Session, customs_id: int, email: str, password: str, now: dt.datetime | None = None
) -> PasswordCheck:
    now = now or now_utc()
    account = find_account(session, customs_id, email)
    if account is None or not account.active:
        verify_secret(None, password)  # same time as a real check
        return PasswordCheck("bad", None)
    if is_locked(account, now):
        verify_secret(None, password)
        return PasswordCheck("locked", account)
    if verify_secret(account.password_hash, normalize_password(password)):
        return PasswordCheck("ok", account)
    return PasswordCheck("lockout" if record_failure(account, now) else "bad", account)


def verify_password(account: Account, password: str) -> bool:
    return verify_secret(account.password_hash, normalize_password(password))


def set_password(
    session: Session, account: Account, password: str, now: dt.datetime | None = None
) -> None:
    """Store a new password (policy checked) and end every session of the account."""
    problem = password_problem(password, email=account.email, mfa_enabled=bool(account.mfa_method))
    if problem:
        raise DomainError(problem, field="password")
    if account.password_hash and verify_secret(account.password_hash, normalize_password(password)):
        raise DomainError(_("Choose a password different from the current one."), field="password")
    now = now or now_utc()
    account.password_hash = hash_secret(normalize_password(password))
    account.password_changed_at = now
    account.must_change_password = False
    record_success(account, now)
    revoke_all_sessions(session, account.id)
    end_tokens(session, account.id, TOKEN_PURPOSES)  # other invitation/reset links stop working


def change_password(
    session: Session, account: Account, current: str, new: str, now: dt.datetime | None = None
) -> None:
    if not verify_password(account, current):
        record_failure(account, now)
        raise DomainError(_("The current password is not correct."), field="current_password")
    set_password(session, account, new, now)


def token_account(session: Session, customs_id: int, raw: str) -> tuple[str, Account] | None:
    """(purpose, account) of a valid invitation or reset token of this administration."""
    for purpose in TOKEN_PURPOSES:
        tok = peek_token(session, raw, purpose)
        if tok is not None:
            account = session.get(Account, tok.account_id)
            if account is None or account.customs_id != customs_id or not account.active:
                return None
            return purpose, account
    return None


def set_password_with_token(
    session: Session, customs_id: int, raw: str, password: str, now: dt.datetime | None = None
) -> tuple[str, Account]:
    """Use an invitation or reset link. The user is not logged in by it: they log in next, with
    their second factor if they have one, so a reset never bypasses MFA."""
    found = token_account(session, customs_id, raw)
    if found is None:
        raise NotFound(
            _(
                "This link has expired or was already used. Ask for a new one with "
                '"Forgot your password?".'
            )
        )
    purpose, account = found
    problem = password_problem(password, email=account.email, mfa_enabled=bool(account.mfa_method))
    if problem:
        raise DomainError(problem, field="password")
    if consume_token(session, raw, purpose) is None:
        raise NotFound(_("This link has expired or was already used."))
    set_password(session, account, password, now)
    return purpose, account


EMAIL_CHANGE_MINUTES = 60


def _check_new_email(session: Session, account: Account, new_email: str) -> str:
    new_email = values.email_address(new_email)
    if new_email == account.email:
        raise DomainError(_("This is already your login email."), field="email")
    if find_account(session, account.customs_id, new_email) is not None:
        raise Conflict(
            _("Another account of this administration already uses this email."), field="email"
        )
    if account.mfa_method == "email" and account.mfa_email == new_email:
        raise DomainError(_("This is your multifactor address: use another one."), field="email")
    return new_email


def request_email_change(session: Session, account: Account, new_email: str) -> tuple[str, str]:
    """Start changing the login email: returns (new address, raw token). The email changes only
    when the link sent to the new address is opened, proving it belongs to the user."""
    new_email = _check_new_email(session, account, new_email)
    raw = issue_token(
        session, account, "email", dt.timedelta(minutes=EMAIL_CHANGE_MINUTES), new_email=new_email
    )
    return new_email, raw


def email_change_of(session: Session, customs_id: int, raw: str) -> tuple[Account, str] | None:
    """(account, new email) of a valid email-change link of this administration."""
    tok = peek_token(session, raw, "email")
    if tok is None:
        return None
    account = session.get(Account, tok.account_id)
    if account is None or account.customs_id != customs_id or not account.active:
        return None
    if tok.new_email is None:  # an email-change token always names the new address
        return None
    return account, tok.new_email


def confirm_email_change(session: Session, customs_id: int, raw: str) -> tuple[Account, str]:
    """Open the link: the login email becomes the new address. Returns (account, old email)."""
    found = email_change_of(session, customs_id, raw)
    if found is None:
        raise NotFound(
            _(
                "This link has expired or was already used. Ask for the change again "
                "from the account menu."
            )
        )
    account, new_email = found
    new_email = _check_new_email(session, account, new_email)
    if consume_token(session, raw, "email") is None:
        raise NotFound(_("This link has expired or was already used."))
    old, account.email = account.email, new_email
    end_tokens(session, account.id, TOKEN_PURPOSES)  # links sent to the old address stop working
    return account, old


def allowed_offices(session: Session, account: Account) -> list[Office]:
    """Offices `account` may choose as its default: its region's for region-bound roles (R-16),
    any active office of the administration for admins."""
    stmt = select(Office).where(Office.customs_id == account.customs_id, Office.active.is_(True))
    if is_region_bound(account.role):
        stmt = stmt.where(Office.region_id == account.region_id)
    return list(session.scalars(stmt.order_by(Office.name)))


def change_default_office(session: Session, account: Account, office_id: int) -> Office:
    office = (
        None
        if not 0 < office_id <= MAX_ID
        else session.scalar(
            select(Office).where(Office.id == office_id, Office.customs_id == account.customs_id)
        )
    )
    if office is None:
        raise NotFound(_("This office does not exist."), field="office_id")
    if office not in allowed_offices(session, account):
        if not office.active:
            raise DomainError(_("%(office)s is not active.", office=office.name), field="office_id")
        raise PermissionDenied(
            _(
                "%(office)s is not in your region: choose an office of your region.",
                office=office.name,
            ),
            field="office_id",
        )
    account.office_id = office.id
    return office


def create_administration(
    session: Session, *, code: str, name: str, country_code: str, admin_email: str, admin_name: str
) -> tuple[CustomsAdministration, Account]:
    """A new customs administration (territory from its country) and its first admin, who has no
    password yet: send them an invitation."""
    code = code.strip().lower()
    if len(code) != 2 or not code.isalpha():
        raise DomainError("The code must be two letters, e.g. 'be'.", field="code")
    if session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == code)):
        raise Conflict(f"An administration with code '{code}' already exists.", field="code")
    country = session.get(Country, country_code.strip().upper())
    if country is None:
        raise NotFound(
            f"Unknown country '{country_code}'. Use an ISO 3166 code such as BE, and "
            "load the reference data first (flask refdata load).",
            field="country",
        )
    if country.territory_id is None:
        raise DomainError(
            f"{country.name} has no customs territory in the reference data.", field="country"
        )
    email = values.email_address(admin_email, "admin_email")
    admin_name = values.full_name(admin_name, "admin_name")
    administration = CustomsAdministration(
        code=code, name=name.strip(), country_code=country.code, territory_id=country.territory_id
    )
    session.add(administration)
    session.flush()
    admin = Account(customs_id=administration.id, email=email, full_name=admin_name, role="admin")
    session.add(admin)
    session.flush()
    return administration, admin


def set_administration_active(
    session: Session, administration: CustomsAdministration, active: bool, *, actor: audit.Who
) -> bool:
    """The operator deactivates an administration (its portal answers 404, its offices leave
    the directory and the search) or reactivates it (they come back). `actor`: an
    api_clients.Actor. Returns whether anything changed."""
    if administration.active == active:
        return False
    administration.active = active
    session.flush()
    directory.index_offices_of(session, administration)
    audit.by_actor(
        session,
        "customs.reactivated" if active else "customs.deactivated",
        actor,
        customs_id=administration.id,
        object_type="customs_administration",
        object_id=administration.id,
        data={"code": administration.code},
    )
    return True
