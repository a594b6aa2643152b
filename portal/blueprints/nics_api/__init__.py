"""The NICS API (F-18, F-22 … F-24): JSON on api.<domain>/v1, OAuth 2.0 client credentials."""
import os

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("nics_api", __name__, template_folder="templates")
csrf.exempt(bp)  # machine clients authenticate with bearer tokens, not cookies


@bp.record_once
def _setup(state) -> None:
    from portal.blueprints.nics_api.oauth import init_oauth

    # Settings of this API; the environment overrides the defaults, create_app(config) both.
    for name, default in (("NICS_RATE_LIMIT", "600/minute;20000/hour"),
                          ("NICS_TOKEN_RATE_LIMIT", "30/minute"),
                          ("NICS_TOKEN_SECONDS", "900"),
                          ("NICS_MAX_BODY", str(2 * 1024 * 1024))):
        state.app.config.setdefault(name, os.environ.get(name, default))
    init_oauth(state.app)


from portal.blueprints.nics_api import routes  # noqa: E402,F401
