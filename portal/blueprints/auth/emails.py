"""The emails of the identity flows: invitation and password reset links (F-11). Each is
written in the account's language (portal.i18n.language_of), whoever's request sends it."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g
from flask_babel import gettext as _

from portal.domain.tokens import issue_token
from portal.extensions import db
from portal.i18n import language_of, with_locale
from portal.mail import send_mail
from portal.models import Account, CustomsAdministration
from portal.tenancy import site_url


def _administration(account: Account) -> CustomsAdministration:
    tenant = getattr(g, "tenant", None)
    if tenant is not None and tenant.id == account.customs_id:
        return tenant
    return db.session.get_one(CustomsAdministration, account.customs_id)


def _customs_code(account: Account) -> str:
    return _administration(account).code


def _send(account: Account, to: str, subject: str, body: str) -> None:
    send_mail(current_app.config, to, subject, body)


def invitation_text(
    account: Account, days: int, link: str, administration: CustomsAdministration | None = None
) -> tuple[str, str]:
    """Subject and body of the invitation (also sent by the outbox drain, jobs/tasks.py)."""
    with with_locale(language_of(account, administration or _administration(account))):
        return _("Your eATA customs account"), _(
            "Hello %(name)s,\n\nAn account was created for you on eATA Customs.\n"
            "Set your password within %(days)s days with this single-use link:\n\n%(link)s\n\n"
            'If the link has expired, use "Forgot your password?" on the login page.\n',
            name=account.full_name,
            days=days,
            link=link,
        )


def send_invitation(account: Account, days: int | None = None) -> str:
    """Issue an invitation token and email the set-password link; returns the link."""
    days = days or current_app.config["INVITATION_DAYS"]
    raw = issue_token(db.session, account, "invite", dt.timedelta(days=days))
    link = site_url("customs", _customs_code(account), f"/set-password/{raw}")
    _send(account, account.email, *invitation_text(account, days, link))
    return link


def send_password_reset(account: Account) -> str:
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    raw = issue_token(db.session, account, "reset", dt.timedelta(minutes=minutes))
    link = site_url("customs", _customs_code(account), f"/set-password/{raw}")
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            account.email,
            _("Reset your eATA password"),
            _(
                "Hello %(name)s,\n\nSomeone asked to reset the password of your eATA account.\n"
                "This single-use link works for %(minutes)s minutes:\n\n%(link)s\n\n"
                "If it was not you, ignore this message: your password stays as it is.\n",
                name=account.full_name,
                minutes=minutes,
                link=link,
            ),
        )
    return link


def send_mfa_code(account: Account, address: str, code: str, minutes: int) -> None:
    """The six-digit code of the email second factor, sent to the alternative address."""
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            address,
            _("Your eATA code: %(code)s", code=code),
            _(
                "Hello %(name)s,\n\nYour eATA verification code is:\n\n    %(code)s\n\n"
                "It works once, for %(minutes)s minutes. If you did not try to log in, change "
                "your password.\n",
                name=account.full_name,
                code=code,
                minutes=minutes,
            ),
        )


def send_email_changed(account: Account, old_email: str) -> None:
    """Tell the previous address that the login email was changed (it may not be the owner)."""
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            old_email,
            _("Your eATA login email was changed"),
            _(
                "Hello %(name)s,\n\nThe login email of your eATA customs account was changed "
                "to %(email)s.\nIf you did not do this, contact your administrator at once.\n",
                name=account.full_name,
                email=account.email,
            ),
        )


def send_email_change_requested(account: Account, new_email: str) -> None:
    """Tell the current address that a change of the login email to `new_email` was asked
    (by an administrator): it happens only if the new address confirms it."""
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            account.email,
            _("A change of your eATA login email was requested"),
            _(
                "Hello %(name)s,\n\nAn administrator asked to change the login email of your "
                "eATA customs account to %(email)s.\nIt changes only when the link sent to that "
                "address is opened. If this is not expected, contact your administrator at once.\n",
                name=account.full_name,
                email=new_email,
            ),
        )


def send_password_changed(account: Account) -> None:
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            account.email,
            _("Your eATA password was changed"),
            _(
                "Hello %(name)s,\n\nThe password of your eATA customs account was changed and "
                'every session was logged out.\nIf you did not do this, use "Forgot your '
                'password?" and contact your administrator.\n',
                name=account.full_name,
            ),
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
    with with_locale(language_of(account, _administration(account))):
        _send(
            account,
            new_email,
            _("Confirm your new eATA login email"),
            _(
                "Hello %(name)s,\n\nOpen this link within %(minutes)s minutes to make %(email)s "
                "the login email of your eATA customs account:\n\n%(link)s\n\n"
                "If you did not ask for this, ignore this message.\n",
                name=account.full_name,
                minutes=minutes,
                email=new_email,
                link=link,
            ),
        )
    return link
