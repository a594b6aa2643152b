from flask import Blueprint

bp = Blueprint("bulk", __name__)

from portal.blueprints.bulk import routes  # noqa: E402,F401
