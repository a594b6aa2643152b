from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.blueprints.auth import account, login  # noqa: E402,F401
