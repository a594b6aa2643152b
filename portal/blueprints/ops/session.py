"""The operator side of flask-login: "o:<session id>" in the cookie, an OperatorSession on the
server, loaded only on the ops site; `operator_required` guards every console page."""

from __future__ import annotations

import functools

from flask import g, redirect, request, url_for
from flask_login import current_user

from portal.domain.api_clients import Actor
from portal.domain.info import operators
from portal.extensions import db
from portal.models import Operator


def load_operator(sid: str) -> Operator | None:
    site = getattr(g, "site", None)
    if site is None or site.kind != "ops":
        return None
    row = operators.live_session(db.session, sid)
    if row is None:
        return None
    operator = row.operator
    operator.session_id = row.id
    g.operator_session = row
    return operator


def current_operator() -> Operator | None:
    """The operator of this request once both factors were given, else None."""
    if not isinstance(current_user._get_current_object(), Operator):
        return None
    row = g.get("operator_session")
    return current_user if row is not None and row.mfa_at is not None else None


def actor() -> Actor:
    """The operator as the audit trail records them (domain functions taking an Actor)."""
    op = current_user
    return Actor("operator", op.id, op.email, request.remote_addr)


def operator_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_operator() is None:
            if isinstance(current_user._get_current_object(), Operator):
                return redirect(url_for("ops.mfa"))
            return redirect(url_for("ops.login"))
        return view(*args, **kwargs)

    return wrapped
