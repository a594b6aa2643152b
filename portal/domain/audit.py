"""Writing the append-only audit trail (F-25)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlalchemy import insert as _insert
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Holder

AUDIT_EVENTS = cast(Table, AuditEvent.__table__)


def _row(
    action: str,
    *,
    actor_type: str,
    actor_id: int | None = None,
    actor_label: str = "",
    customs_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    ip: str | None = None,
    data: dict | None = None,
) -> dict:
    return {
        "action": action,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_label": actor_label[:254],
        "customs_id": customs_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "ip": ip,
        "data": data,
    }


def record(session: Session, action: str, **fields) -> AuditEvent:
    """Add an audit event to the session; it is stored with the caller's transaction.
    Fields: actor_type (required), actor_id, actor_label, customs_id, object_type, object_id,
    ip, data."""
    event = AuditEvent(**_row(action, **fields))
    session.add(event)
    return event


def by_holder(
    session: Session,
    action: str,
    holder: Holder,
    *,
    object_type: str = "holder",
    object_id: object = None,
    ip: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """`record` of what a holder did in their wallet: the holder is the actor, and the object
    unless another one is named."""
    if object_type == "holder" and object_id is None:
        object_id = holder.id
    return record(
        session,
        action,
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type=object_type,
        object_id=object_id,
        ip=ip,
        data=data,
    )


def insert(session: Session, action: str, **fields) -> None:
    """The same row as `record`, written at once with a Core INSERT (no ORM object): for hot
    paths such as the transaction engine. Stored with the caller's transaction."""
    session.execute(_insert(AUDIT_EVENTS).values(**_row(action, **fields)))


def queue(writes, action: str, **fields) -> None:
    """The same row as `record`, added to a `portal.domain.batch.Batch` (the engine's commit):
    written with the batch, in the caller's transaction."""
    writes.insert(AUDIT_EVENTS, [_row(action, **fields)])
