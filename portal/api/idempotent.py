"""POSTs run once per Idempotency-Key: the first successful answer is stored in the same
database transaction as the change, and a replay (same client, key and body) returns it."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy.exc import IntegrityError

from portal.api.bodies import json_body
from portal.api.problems import Problem
from portal.domain import Conflict, DomainError, idempotency
from portal.extensions import db


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise Problem(
            400,
            "The Idempotency-Key must be 1 to 255 visible ASCII characters.",
            "bad_idempotency_key",
        )
    return key


def write(handler):
    """Run a POST handler once per Idempotency-Key; `handler(body) -> (status, payload,
    headers)`. Only successful answers are remembered: a refused request changed nothing, so
    it may be corrected and sent again with the same key."""
    key = idempotency_key()
    body = json_body()
    client = g.api_client
    fingerprint = idempotency.fingerprint(request.method, request.path, body) if key else ""

    def replayed():
        """The first answer to this key, if one is stored (None otherwise)."""
        if not key:
            return None
        replay = idempotency.find_replay(db.session, client.id, key, fingerprint)
        if replay is None:
            return None
        resp = jsonify(replay[1])
        resp.status_code = replay[0]
        resp.headers["Idempotent-Replayed"] = "true"
        return resp

    if (resp := replayed()) is not None:
        return resp
    try:
        status, payload, headers = handler(body)  # flushes: a unique clash may surface here
        if key:
            idempotency.remember(db.session, client.id, key, fingerprint, status, payload)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if (resp := replayed()) is not None:
            return resp
        raise Conflict(
            "The request collided with a concurrent change (for instance the same "
            "carnet number sent twice at once). Read the carnet, then retry."
        ) from None
    except DomainError:
        # a refusal may come from a twin request with the same key that committed while this
        # one was validating (e.g. "carnet number already exists"): answer with its result
        db.session.rollback()
        if (resp := replayed()) is not None:
            return resp
        raise
    resp = jsonify(payload)
    resp.status_code = status
    resp.headers.update(headers)
    return resp
