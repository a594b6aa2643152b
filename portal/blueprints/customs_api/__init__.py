from flask import Blueprint

bp = Blueprint("customs_api", __name__)

from portal.blueprints.customs_api import routes  # noqa: E402,F401
