from flask import Blueprint

bp = Blueprint("carnets", __name__)

from portal.blueprints.carnets import routes  # noqa: E402,F401
