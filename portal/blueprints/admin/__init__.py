from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.blueprints.admin import (  # noqa: E402,F401
    accounts,
    exports,
    offices,
    regions,
    settings,
    sso,
)
