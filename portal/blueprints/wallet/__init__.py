from flask import Blueprint

bp = Blueprint("wallet", __name__)

from portal.blueprints.wallet import routes  # noqa: E402,F401
