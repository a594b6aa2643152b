"""The NICS API (F-18, F-22 … F-24): JSON on api.<domain>/v1, OAuth 2.0 client credentials.
Its settings (NICS_*) are read in portal/config.py and applied by the app factory."""

from flask import Blueprint

from portal.api import setup_blueprint
from portal.extensions import csrf

bp = Blueprint("nics_api", __name__, template_folder="templates")
csrf.exempt(bp)  # machine clients authenticate with bearer tokens, not cookies
setup_blueprint(bp)

from portal.blueprints.nics_api import routes  # noqa: E402,F401
