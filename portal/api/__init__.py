"""What the two JSON APIs (NICS, customs) share on api.<domain>/v1.

- problems.py: RFC 9457 problem documents — the one renderer of JSON errors in the app;
- oauth.py: OAuth 2.0 client credentials (Authlib) and the bearer-token check;
- auth.py: the `protected` decorator (token, scope, owner of the client, rate limit, ids);
- bodies.py: JSON bodies (type-checked against the OpenAPI schemas, NUL and depth refused);
- idempotent.py: POSTs run once per Idempotency-Key;
- paging.py: `page` / `per_page` arguments;
- openapi/: the contract, split into common schemas, the NICS part and the customs part.
"""

from __future__ import annotations

from flask import current_app, request

from portal.api import problems
from portal.api.oauth import init_oauth


def init_app(app) -> None:
    """Apply the API settings of portal/config.py (called by the app factory)."""
    init_oauth(app)


def setup_blueprint(bp, bad_request_status: int = 400) -> None:
    """What every API blueprint does: errors as problem documents, bodies limited to
    NICS_MAX_BODY (an operation may lower or raise it for itself)."""
    problems.register(bp, bad_request_status)

    @bp.before_request
    def _limit_body():
        request.max_content_length = current_app.config["NICS_MAX_BODY"]
