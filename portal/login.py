"""flask-login wired to server-side sessions: the cookie holds only a random session id.

`login_account` opens a session (new id: the old session cookie's contents are cleared, so a
session id planted before login is never reused), `logout_current` revokes it on the server.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, flash, g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from portal.blueprints.chamber.session import load_staff
from portal.blueprints.ops.session import load_operator
from portal.blueprints.wallet.session import load_holder
from portal.domain.sessions import live_session, open_session, revoke_session
from portal.extensions import db, login_manager
from portal.models import Account


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, sid = user_id.partition(":")
    if kind == "h" and sid:  # a holder's wallet session (portal/blueprints/wallet/session.py)
        return load_holder(sid)
    if kind == "o" and sid:  # an operator's console session (portal/blueprints/ops/session.py)
        return load_operator(sid)
    if kind == "s" and sid:  # an issuing association's staff (portal/blueprints/chamber/session.py)
        return load_staff(sid)
    if kind != "c" or not sid:
        return None
    tenant = getattr(g, "tenant", None)
    if tenant is None:
        return None
    cfg = current_app.config
    us = live_session(
        db.session,
        sid,
        idle=dt.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
        absolute=dt.timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]),
    )
    if us is None or us.account.customs_id != tenant.id:
        return None
    account = us.account
    account.session_id = us.id
    account.user_session = us
    return account


def login_account(
    account: Account, remember: bool = False, password_verified_at: dt.datetime | None = None
) -> str:
    """Log `account` in on this request; returns the new server-side session id."""
    session.clear()
    us = open_session(
        db.session,
        account,
        remember=remember,
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        password_verified_at=password_verified_at,
    )
    account.session_id = us.id
    account.user_session = us
    session.permanent = remember
    login_user(account, remember=False, fresh=True)
    return us.id


def logout_current(account: Account | None) -> None:
    if account is not None and getattr(account, "session_id", None):
        revoke_session(db.session, account.session_id)
    logout_user()
    session.clear()


@login_manager.unauthorized_handler
def unauthorized():
    """Not logged in (or the session ended): to the login page, coming back here afterwards.
    An htmx request gets HX-Redirect, so the login page replaces the page, not a fragment."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    login_url = (
        url_for("auth.login", next=target) if target and target != "/" else url_for("auth.login")
    )
    if request.headers.get("HX-Request"):
        return Response(status=401, headers={"HX-Redirect": login_url})
    flash(str(login_manager.login_message), "info")
    return redirect(login_url)
