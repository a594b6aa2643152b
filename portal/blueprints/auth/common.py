"""What the login and account pages share: rate limits, the audit of an account event, a
refusal shown on its form, a lock-out, the answer to a dead link, the page answer
(portal/web.py), safe `next` paths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import (
    current_app,
    flash,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.domain import identity
from portal.domain.passwords import MIN_LENGTH, MIN_LENGTH_WITH_MFA
from portal.extensions import db
from portal.models import Account
from portal.web import audit_request, redirect_to, render_page

RESET_MAIL_INTERVAL = dt.timedelta(minutes=1)


def limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


LOGIN_LIMIT = limit("LOGIN_RATE_LIMIT", "10 per minute")
CODE_LIMIT = limit("CODE_RATE_LIMIT", "10 per minute")
FORGOT_LIMIT = limit("FORGOT_RATE_LIMIT", "5 per minute")


def audit_account(action: str, account: Account | None, email: str = "", **data) -> None:
    audit_request(
        action,
        actor_type="account" if account else "anonymous",
        actor_id=account.id if account else None,
        actor_label=account.email if account else email,
        object_type="account" if account else None,
        object_id=account.id if account else None,
        data=data or None,
    )


def locked_out(account: Account, end: Callable[[], object]):
    """Wrong passwords or codes locked the account: audit it, `end()` the session or the
    pending login, back to the login page with the lock message."""
    audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
    end()
    db.session.commit()
    flash(identity.lock_message(account), "error")
    return redirect_to(url_for("auth.login"))


def link_invalid(page: str, **ctx):
    """The answer to an unknown, used or expired emailed link (audited as token.invalid)."""
    audit_account("token.invalid", None, page=page)
    db.session.commit()
    return render_page("auth/link_invalid.html", status=404, **ctx)


def render(template: str, form=None, status: int | None = None, **ctx):
    if status is None:
        status = 422 if form is not None and request.method == "POST" else 200
    return render_page(template, form=form, status=status, **ctx)


def password_hint(account: Account | None) -> str:
    n = MIN_LENGTH_WITH_MFA if account is not None and account.mfa_method else MIN_LENGTH
    return _(
        "At least %(count)s characters. A few unrelated words make a good one; no need for "
        "digits or symbols. Common passwords and your email name are refused.",
        count=n,
    )


def relative(target: str | None) -> str | None:
    """`target` when it is a path on this site (never another host: no open redirect).
    Whitespace and control characters are refused: browsers drop tabs and newlines from a URL,
    so "/\t/evil.example" would become "//evil.example"."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        return target
    return None


def mask_email(address: str | None) -> str:
    if not address or "@" not in address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:2]}{'•' * max(1, len(local) - 2)}@{domain}"
