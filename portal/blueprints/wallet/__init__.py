from flask import Blueprint

# every wallet page lives under /my (the URL map is shared with the customs site, whose "/"
# is the customs start page); wallet.<domain>/ redirects to the carnets list
bp = Blueprint("wallet", __name__, url_prefix="/my")

from portal.blueprints.wallet import (  # noqa: E402,F401
    auth,
    predeclarations,
    routes,
    share,
    transition,
    travels,
)
