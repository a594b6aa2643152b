from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.blueprints.auth import account, login, sso  # noqa: E402,F401
