"""The console's blueprint (registered from portal/__init__.py); its views are in auth.py
and routes.py."""

from flask import Blueprint

bp = Blueprint("ops", __name__, url_prefix="/console")

from portal.blueprints.ops import auth, chamber_staff, routes  # noqa: E402,F401
