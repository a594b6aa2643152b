from flask import Blueprint

bp = Blueprint("nics_api", __name__)

from portal.blueprints.nics_api import routes  # noqa: E402,F401
