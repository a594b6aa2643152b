"""The customs integration API (F-49): api.<domain>/v1/customs/… for the systems of customs
administrations (OAuth client credentials of a client owned by the administration)."""

from flask import Blueprint

from portal.api import setup_blueprint
from portal.extensions import csrf

bp = Blueprint("customs_api", __name__)
csrf.exempt(bp)  # machine clients authenticate with bearer tokens, not cookies
# a plain refusal of the engine (status 400) names what the request got wrong: a 422
setup_blueprint(bp, bad_request_status=422)

from portal.blueprints.customs_api import routes  # noqa: E402,F401
