"""The emails of the identity flows: invitation and password reset links (F-11)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g

from portal.domain.tokens import issue_token
from portal.extensions import db
from portal.mail import send_mail
from portal.models import Account, CustomsAdministration
from portal.tenancy import site_url


def _customs_code(account: Account) -> str:
    tenant = getattr(g, "tenant", None)
    if tenant is not None and tenant.id == account.customs_id:
        return tenant.code
    return db.session.get(CustomsAdministration, account.customs_id).code


def send_invitation(account: Account, days: int | None = None) -> str:
    """Issue an invitation token and email the set-password link; returns the link."""
    days = days or current_app.config["INVITATION_DAYS"]
    raw = issue_token(db.session, account, "invite", dt.timedelta(days=days))
    link = site_url("customs", _customs_code(account), f"/set-password/{raw}")
    send_mail(
        current_app.config,
        account.email,
        "Your eATA customs account",
        f"Hello {account.full_name},\n\nAn account was created for you on eATA Customs.\n"
        f"Set your password within {days} days with this single-use link:\n\n{link}\n\n"
        'If the link has expired, use "Forgot your password?" on the login page.\n',
    )
    return link


def send_password_reset(account: Account) -> str:
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    raw = issue_token(db.session, account, "reset", dt.timedelta(minutes=minutes))
    link = site_url("customs", _customs_code(account), f"/set-password/{raw}")
    send_mail(
        current_app.config,
        account.email,
        "Reset your eATA password",
        f"Hello {account.full_name},\n\nSomeone asked to reset the password of your eATA account.\n"
        f"This single-use link works for {minutes} minutes:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )
    return link


def send_mfa_code(account: Account, address: str, code: str, minutes: int) -> None:
    """The six-digit code of the email second factor, sent to the alternative address."""
    send_mail(
        current_app.config,
        address,
        f"Your eATA code: {code}",
        f"Hello {account.full_name},\n\nYour eATA verification code is:\n\n    {code}\n\n"
        f"It works once, for {minutes} minutes. If you did not try to log in, change your password.\n",
    )


def send_email_changed(account: Account, old_email: str) -> None:
    """Tell the previous address that the login email was changed (it may not be the owner)."""
    send_mail(
        current_app.config,
        old_email,
        "Your eATA login email was changed",
        f"Hello {account.full_name},\n\nThe login email of your eATA customs account was changed "
        f"to {account.email}.\nIf you did not do this, contact your administrator at once.\n",
    )


def send_email_change_requested(account: Account, new_email: str) -> None:
    """Tell the current address that a change of the login email to `new_email` was asked
    (by an administrator): it happens only if the new address confirms it."""
    send_mail(
        current_app.config,
        account.email,
        "A change of your eATA login email was requested",
        f"Hello {account.full_name},\n\nAn administrator asked to change the login email of your "
        f"eATA customs account to {new_email}.\nIt changes only when the link sent to that "
        "address is opened. If this is not expected, contact your administrator at once.\n",
    )


def send_password_changed(account: Account) -> None:
    send_mail(
        current_app.config,
        account.email,
        "Your eATA password was changed",
        f"Hello {account.full_name},\n\nThe password of your eATA customs account was changed and "
        'every session was logged out.\nIf you did not do this, use "Forgot your password?" and '
        "contact your administrator.\n",
    )


def send_account_invitation(account: Account) -> str:
    """send_invitation with the lifetime of the account's administration (invitation_days),
    falling back to INVITATION_DAYS. Returns the link."""
    administration = db.session.get(CustomsAdministration, account.customs_id)
    days = getattr(administration, "invitation_days", None) or current_app.config["INVITATION_DAYS"]
    return send_invitation(account, days=days)


def send_email_change_link(account: Account, new_email: str, raw_token: str, minutes: int) -> str:
    """The link that confirms a new login email, sent to that new address. Returns the link."""
    link = site_url("customs", _customs_code(account), f"/confirm-email/{raw_token}")
    send_mail(
        current_app.config,
        new_email,
        "Confirm your new eATA login email",
        f"Hello {account.full_name},\n\nOpen this link within {minutes} minutes to make {new_email} "
        f"the login email of your eATA customs account:\n\n{link}\n\n"
        "If you did not ask for this, ignore this message.\n",
    )
    return link
