"""The bearer-token guard of every protected API operation.

`protected(bp, rule, method, scope, admit=…)` registers a view that checks, in order: the
access token and its scope (a wrong token counts against the address, R-10), the owner of
the client (`admit` sets g.nga or g.customs, or refuses with a 403), the ids in the path
(beyond what the database holds: a 404), then the client's rate limit (one budget per client
across every operation of the API).
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from limits import parse

from portal.api.oauth import authenticate
from portal.api.problems import Problem
from portal.db import MAX_ID
from portal.extensions import limiter
from portal.models import ApiClient

# ids are PostgreSQL integer columns: a larger number in a path names nothing
INT32_MAX = MAX_ID


def client_key() -> str:
    client = getattr(g, "api_client", None)
    return f"api_client:{client.id}" if client is not None else f"ip:{request.remote_addr}"


def client_rate() -> str:
    return current_app.config["NICS_RATE_LIMIT"]


def token_rate() -> str:
    return current_app.config["NICS_TOKEN_RATE_LIMIT"]


def count_failed_auth() -> None:
    """R-10: calls with a wrong or expired token are limited per address, so tokens cannot be
    guessed at the speed of the server."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    rate = parse(current_app.config["NICS_BAD_TOKEN_RATE_LIMIT"])
    if not limiter.limiter.hit(rate, "nics_bad_token", request.remote_addr or "?"):
        raise Problem(429, "Too many requests with an invalid token from this address.")


def bearer_client(scope: str) -> ApiClient:
    """The API client of the request's bearer token, if it carries `scope`; else a 401/403."""
    client, error = authenticate(scope)
    if error is not None:
        count_failed_auth()
        detail = {
            "missing_authorization": "Send an access token: Authorization: Bearer <token>.",
            "insufficient_scope": f"This access token does not carry the scope {scope}.",
        }.get(error.error, "The access token is invalid, expired or revoked.")
        raise Problem(
            error.status_code or 401,
            detail,
            error.error,
            headers={"WWW-Authenticate": 'Bearer realm="eata"'},
        )
    return client


def check_path_ids(kwargs: dict) -> None:
    for name, value in kwargs.items():
        if isinstance(value, int) and not 0 < value <= INT32_MAX:
            raise Problem(404, f"Nothing has the {name} {value}.")


def protected(bp, rule: str, method: str, scope: str, *, admit, limit_scope: str):
    """Register `view` on `bp` as a protected operation (see the module's docstring)."""

    def decorator(view):
        limited = limiter.shared_limit(client_rate, scope=limit_scope, key_func=client_key)(view)

        @wraps(view)
        def wrapped(**kwargs):
            admit(bearer_client(scope))
            check_path_ids(kwargs)
            return limited(**kwargs)

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        return wrapped

    return decorator
