from flask import Blueprint

bp = Blueprint("customs", __name__)

from portal.blueprints.customs import routes, screens  # noqa: E402,F401
