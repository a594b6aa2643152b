"""The pending login: the state machine between the password and a logged-in session (F-10).

The password step stores a short-lived *pending login* in the signed session (account id,
expiry, remember me, when the password was typed); each step (second factor, forced password
change, MFA enrolment when required) moves it on, and the session becomes logged in (a
server-side session, a new id) only when every step is done. It is web state — it lives in the
browser's signed session cookie and answers with redirects to the next step's page — so it is a
blueprint module; the rules it applies are portal/domain/{identity,mfa}.py."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import (
    flash,
    g,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal.blueprints.auth.common import audit_account
from portal.db import now_utc
from portal.domain import identity, mfa
from portal.extensions import db
from portal.login import login_account
from portal.models import Account
from portal.web import redirect_to

# --- the pending login --------------------------------------------------------------------

PENDING_MINUTES = 10  # a pending login lives this long


def start_pending(account: Account, remember: bool, next_path: str | None) -> None:
    session.clear()
    now = now_utc()
    session["pending_login"] = {
        "aid": account.id,
        "cid": g.tenant.id,
        "remember": bool(remember),
        "mfa_ok": False,
        "next": next_path,
        "exp": (now + dt.timedelta(minutes=PENDING_MINUTES)).isoformat(),
        "pw_at": now.isoformat(),
    }


def pending() -> tuple[dict, Account] | None:
    data = session.get("pending_login")
    if not data or data.get("cid") != g.tenant.id:
        return None
    if dt.datetime.fromisoformat(data["exp"]) <= now_utc():
        session.pop("pending_login", None)
        return None
    account = identity.active_account(db.session, g.tenant.id, data["aid"])
    if account is None:
        return None
    return data, account


def update_pending(**changes) -> None:
    data = dict(session["pending_login"])
    data.update(changes)
    session["pending_login"] = data


def next_step(data: dict, account: Account) -> str | None:
    if account.mfa_method and not data.get("mfa_ok"):
        return "auth.login_verify"
    # a login through the administration's provider (F-19) has no portal password to change,
    # and needs no portal MFA enrolment when the provider's trusted MFA was done
    if account.must_change_password and data.get("via") != "sso":
        return "auth.login_new_password"
    if mfa.mfa_required(account, g.tenant) and not account.mfa_method and not data.get("sso_mfa"):
        return "auth.login_enrol"
    return None


def finish_login(data: dict, account: Account) -> None:
    login_account(
        account,
        remember=data["remember"],
        password_verified_at=dt.datetime.fromisoformat(data["pw_at"]),
    )
    identity.record_success(account)
    account.last_login_at = now_utc()
    via = data.get("via", "password")
    audit_account(
        "login.success",
        account,
        remember=data["remember"],
        mfa="provider" if data.get("sso_mfa") else (account.mfa_method or "none"),
        via=via,
    )
    if via == "sso":
        session["sso_login"] = True  # logout also ends the session at the provider
    db.session.commit()


def continue_login():
    """Go to the next step of the pending login, or finish it."""
    found = pending()
    if found is None:
        flash(_("Your login took too long or was interrupted. Please log in again."), "warning")
        return redirect_to(url_for("auth.login"))
    data, account = found
    step = next_step(data, account)
    if step is not None:
        return redirect_to(url_for(step))
    finish_login(data, account)
    return redirect_to(data.get("next") or url_for("home.index"))


def pending_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        found = pending()
        if found is None:
            flash(_("Your login took too long or was interrupted. Please log in again."), "warning")
            return redirect_to(url_for("auth.login"))
        return view(*found, *args, **kwargs)

    return wrapped
