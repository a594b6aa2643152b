"""What the organisation's write functions share: applying values with the changes recorded
for the audit trail, flushing so a unique-constraint race becomes a readable refusal, search."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import Conflict

Changes = dict[str, tuple[Any, Any]]


def apply_changes(obj: Any, values: dict[str, Any]) -> Changes:
    changes: Changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def flush_or_conflict(session: Session, message: str, field: str | None = None) -> None:
    """Flush in a savepoint so a unique-constraint race becomes a readable refusal."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(message, field) from None


def delete_or_conflict(session: Session, obj: Any, message: str) -> None:
    try:
        with session.begin_nested():
            session.delete(obj)
            session.flush()
    except IntegrityError:
        raise Conflict(message) from None


def jsonable(changes: Changes) -> dict[str, dict[str, Any]]:
    """{field: (before, after)} → {"before": {...}, "after": {...}} with JSON-safe values."""

    def safe(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        return v

    return {
        "before": {k: safe(b) for k, (b, _) in changes.items()},
        "after": {k: safe(a) for k, (_, a) in changes.items()},
    }


def escape_like(term: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", term)


def search(term: str | None, *columns) -> Any | None:
    term = (term or "").strip()
    if not term:
        return None
    pattern = f"%{escape_like(term.lower())}%"
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
