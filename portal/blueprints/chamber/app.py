"""The chamber portal's blueprint (registered from portal/__init__.py for the site kind
'chamber'); its views are in auth.py and routes.py."""

from flask import Blueprint

bp = Blueprint("chamber", __name__, url_prefix="/chamber")

from portal.blueprints.chamber import auth, routes  # noqa: E402,F401
