"""Operator login: password, then TOTP — the small portals' sign-in (portal/portal_login.py)
bound to the operators' identity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.blueprints.ops.app import bp
from portal.domain.info import operators
from portal.portal_login import PortalLogin

LOGIN = PortalLogin(
    bp=bp,
    identity=operators.IDENTITY,
    actor="operator",
    session_attr="operator_session",
    layout="ops/layout.html",
    title=_l("Operator console"),
    enrol_intro=_l(
        "Operators always log in with an authenticator app. Scan this code with the app, "
        "then type the code it shows."
    ),
    issuer="eATA Operator",
    landing="ops.index",
)
LOGIN.register()
