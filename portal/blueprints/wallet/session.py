"""The holder side of flask-login: "h:<session id>" in the cookie, a HolderSession on the
server; `holder_required` guards wallet pages (login, TOTP step, wallet PIN unlock)."""

from __future__ import annotations

import functools

from flask import g, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user

from portal.domain import wallet as wallet_domain
from portal.extensions import db
from portal.models import Holder, HolderSession
from portal.web import is_poll, redirect_to


class HolderUser(UserMixin):
    """What current_user is on the wallet site."""

    is_holder = True

    def __init__(self, hs: HolderSession):
        self.hs = hs
        self.holder: Holder = hs.holder
        self.session_id = hs.id

    def get_id(self) -> str:
        return f"h:{self.session_id}"


def load_holder(sid: str) -> HolderUser | None:
    site = getattr(g, "site", None)
    if site is None or site.kind != "wallet":
        return None
    hs = wallet_domain.live_holder_session(db.session, sid)
    return HolderUser(hs) if hs is not None else None


def login_holder(hs: HolderSession) -> None:
    session.clear()
    login_user(HolderUser(hs), remember=False, fresh=True)


def logout_holder() -> None:
    user = current_user
    if getattr(user, "is_holder", False):
        wallet_domain.revoke_holder_session(db.session, user.session_id)
        db.session.commit()
    logout_user()
    session.clear()


def current_holder() -> Holder | None:
    user = current_user
    if getattr(user, "is_holder", False) and user.is_authenticated and not user.hs.mfa_pending:
        return user.holder
    return None


def _to(endpoint: str, keep_next: bool = True):
    target = request.full_path.rstrip("?") if request.method == "GET" and keep_next else None
    return redirect_to(url_for(endpoint, next=target) if target else url_for(endpoint), 302)


def holder_required(view=None, *, unlocked: bool = True, touch: bool = True, public: bool = False):
    """Logged in (password + TOTP when enabled); with `unlocked`, the wallet PIN was typed
    within the idle time (activity on a page keeps it open; `touch=False` for polling).
    With `public` the page is shown anyway — to someone not logged in without `g.holder`, and
    to a locked wallet with it (the information pages: no carnet on them)."""
    if view is None:
        return functools.partial(holder_required, unlocked=unlocked, touch=touch, public=public)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        holder = current_holder()
        if holder is None:
            return view(*args, **kwargs) if public else _to("wallet.login")
        g.holder = holder
        g.holder_session = current_user.hs
        if unlocked:
            if not wallet_domain.is_unlocked(current_user.hs):
                return view(*args, **kwargs) if public else _to("wallet.unlock")
            if touch and not is_poll("live"):  # polling is not the holder's activity
                wallet_domain.keep_unlocked(db.session, current_user.hs)
        return view(*args, **kwargs)

    return wrapped
