"""Idempotency-Key handling for API writes (F-24, R-11).

The first response to a (client, key) is stored — encrypted, as it may hold a download PIN —
in the same database transaction as the change itself. A replay with the same request returns
that response; the same key with a different request is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import DomainError, crypto
from portal.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


class KeyReused(DomainError):
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request. Use a new key for "
            "a new request, or send exactly the same request to get its first result again.",
            "Idempotency-Key",
            code="idempotency_key_reused",
        )


def fingerprint(method: str, path: str, body) -> str:
    """Hash of what the request asks for; JSON bodies are canonicalised first."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _aad(client_pk: int, key: str) -> str:
    return f"idempotency:{client_pk}:{key}"


# built once: the statement of every API write
_RECORD = select(IdempotencyRecord).where(
    IdempotencyRecord.client_pk == bindparam("client_pk"), IdempotencyRecord.key == bindparam("key")
)


def find_replay(
    session: Session, client_pk: int, key: str, request_hash: str
) -> tuple[int, dict] | None:
    """The stored (status, body) for this key, None if the key is new; KeyReused if the key
    was used for another request."""
    record = session.execute(_RECORD, {"client_pk": client_pk, "key": key}).scalar_one_or_none()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise KeyReused()
    return record.status_code, crypto.decrypt_json(record.response_enc, _aad(client_pk, key))


def remember(
    session: Session, client_pk: int, key: str, request_hash: str, status: int, body: dict
) -> None:
    session.add(
        IdempotencyRecord(
            client_pk=client_pk,
            key=key,
            request_hash=request_hash,
            status_code=status,
            response_enc=crypto.encrypt_json(body, _aad(client_pk, key)),
        )
    )


def purge(session: Session, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    return rows_changed(
        session,
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now_utc() - older_than),
    )
