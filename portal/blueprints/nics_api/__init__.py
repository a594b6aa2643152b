"""The NICS API (F-18, F-22 … F-24): JSON on api.<domain>/v1, OAuth 2.0 client credentials."""
from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("nics_api", __name__, template_folder="templates")
csrf.exempt(bp)  # machine clients authenticate with bearer tokens, not cookies


@bp.record_once
def _setup(state) -> None:
    from portal.blueprints.nics_api.oauth import init_oauth
    from portal.domain import crypto

    # The data keys are needed wherever carnets are read or written; this blueprint is always
    # registered, so its registration is where the keyring is loaded from the configuration.
    crypto.configure(state.app.config["DATA_KEYS"])
    init_oauth(state.app)


from portal.blueprints.nics_api import routes  # noqa: E402,F401
