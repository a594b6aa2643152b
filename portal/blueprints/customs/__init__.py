from flask import Blueprint

bp = Blueprint("customs", __name__)

from portal.blueprints.customs import predeclarations, routes, screens  # noqa: E402,F401
