"""The console's blueprint (registered from portal/__init__.py); its views are in auth.py,
operators.py and routes.py."""

from flask import Blueprint

bp = Blueprint("ops", __name__, url_prefix="/console")

from portal.blueprints.ops import auth, chamber_staff, operators, routes  # noqa: E402,F401
