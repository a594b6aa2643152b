"""RFC 9457 problem documents: the one way the application answers an error in JSON.

The API blueprints raise `Problem` (or a DomainError, or let werkzeug raise an HTTPException);
the application's error handlers (portal/__init__.py) answer 404/405/413/500… of the API host
with `problem_response` too, so every JSON error has the same shape.
"""

from __future__ import annotations

from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.domain import DomainError
from portal.extensions import db

PROBLEM_BASE = "https://eata.dev/problems/"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    414: "Request line too long",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    431: "Request headers too large",
    500: "Server error",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
    431: "headers_too_large",
    500: "server_error",
}


class Problem(Exception):
    """Raise to answer a problem document: status, a sentence, a stable code, field errors."""

    def __init__(
        self,
        status: int,
        detail: str,
        code: str | None = None,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.errors, self.headers = errors, headers or {}


def problem_response(
    status: int,
    detail: str,
    code: str | None = None,
    errors: list[dict] | None = None,
    headers: dict | None = None,
):
    code = code or CODES.get(status, "error")
    body = {
        "type": PROBLEM_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": str(detail),  # a lazy translation, in the language of Accept-Language
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def from_http_error(error: HTTPException):
    """A werkzeug/Flask HTTP error as a problem document (keeps `Allow` of a 405)."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    if status == 429:
        detail = "Too many requests from this client. Please slow down."
    elif isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("NICS_MAX_BODY") or current_app.config.get(
            "MAX_CONTENT_LENGTH"
        )
        detail = f"The body is larger than {limit} bytes." if limit else "The body is too large."
    elif status == 405:
        detail = f"This path does not answer this method; it answers {headers.get('Allow', '')}."
    else:
        detail = error.description or TITLES.get(status, "Error")
    return problem_response(status, detail, headers=headers)


def from_domain_error(error: DomainError, bad_request_status: int = 400):
    """A refusal of the domain: its status and code; field errors listed for a 422.
    `bad_request_status`: what a plain refusal (status 400) becomes (422 for the customs API,
    where it means "the request names something the rules refuse")."""
    db.session.rollback()
    status = bad_request_status if error.status == 400 else error.status
    errors = getattr(error, "errors", None)
    if isinstance(errors, dict) or (errors is None and status == 422 and error.field):
        errors = [{"field": f or "body", "message": m} for f, m in error.by_field().items()]
    return problem_response(status, error.message, error.code, errors)


def register(bp, bad_request_status: int = 400) -> None:
    """Answer every error of the API blueprint `bp` with a problem document."""
    bp.register_error_handler(
        Problem, lambda e: problem_response(e.status, e.detail, e.code, e.errors, e.headers)
    )
    bp.register_error_handler(DomainError, lambda e: from_domain_error(e, bad_request_status))
    bp.register_error_handler(HTTPException, from_http_error)
