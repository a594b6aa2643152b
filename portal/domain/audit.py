"""Writing the append-only, hash-chained audit trail (F-25; docs/evidence.md).

Every event is linked into its chain (portal/domain/audit_chain.py) as it is written: `record`
at the flush (a mapper event), `insert` and `queue` at once. Pass `nga_id=` for an event of an
NGA's chain (its API clients, its carnets); otherwise the administration's (`customs_id`) or
the platform's chain is used.
"""

from __future__ import annotations

from typing import Protocol, cast

from sqlalchemy import Table, event
from sqlalchemy import insert as _insert
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import audit_chain
from portal.models import AuditChain, AuditEvent, Holder

AUDIT_EVENTS = cast(Table, AuditEvent.__table__)
AUDIT_CHAINS = cast(Table, AuditChain.__table__)


def _row(
    action: str,
    *,
    actor_type: str,
    actor_id: int | None = None,
    actor_label: str = "",
    customs_id: int | None = None,
    nga_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    ip: str | None = None,
    data: dict | None = None,
) -> dict:
    return {
        "at": now_utc(),
        "chain": audit_chain.chain_of(customs_id, nga_id),
        "action": action,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_label": actor_label[:254],
        "customs_id": customs_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "ip": ip,
        "data": audit_chain.normalise(data),
    }


def record(session: Session, action: str, **fields) -> AuditEvent:
    """Add an audit event to the session; it is stored (and chained) with the caller's
    transaction. Fields: actor_type (required), actor_id, actor_label, customs_id, nga_id,
    object_type, object_id, ip, data."""
    event = AuditEvent(**_row(action, **fields))
    session.add(event)
    return event


class Who(Protocol):
    """Who acted, as the trail records it (portal.domain.api_clients.Actor)."""

    @property
    def type(self) -> str: ...
    @property
    def id(self) -> int | None: ...
    @property
    def label(self) -> str: ...
    @property
    def ip(self) -> str | None: ...


def by_actor(session: Session, action: str, actor: Who, **fields) -> AuditEvent:
    """`record` of what `actor` did (an operator in the console or on the command line, an
    API client): its type, id, label and client address; `fields` as for `record`."""
    return record(
        session,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        ip=actor.ip,
        **fields,
    )


def by_holder(
    session: Session,
    action: str,
    holder: Holder,
    *,
    object_type: str = "holder",
    object_id: object = None,
    ip: str | None = None,
    data: dict | None = None,
    nga_id: int | None = None,
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
        nga_id=nga_id,
    )


def insert(session: Session, action: str, **fields) -> None:
    """The same row as `record`, written at once with a Core INSERT (no ORM object): for hot
    paths. Stored with the caller's transaction."""
    row = _row(action, **fields)
    conn = session.connection()
    head_id = audit_chain.link(conn, row)
    conn.execute(_insert(AUDIT_EVENTS).values(**row))
    audit_chain.set_head(conn, head_id, row)


def queue(writes, action: str, **fields) -> None:
    """The same row as `record`, added to a `portal.domain.batch.Batch` (the engine's commit):
    written with the batch, in the caller's transaction — on PostgreSQL the chain's head is
    advanced inside the pipeline; elsewhere at once."""
    row = _row(action, **fields)
    if writes.pg:
        # the head advanced and the event written by one statement of the pipeline, the link
        # hash computed by PostgreSQL (audit_chain.PG_QUEUE_SQL)
        row["content_hash"] = audit_chain.content_hash(row)
        writes.statement(AUDIT_EVENTS, audit_chain.PG_QUEUE_SQL, row)
        return
    head_id = audit_chain.link(writes.conn, row)
    writes.insert(AUDIT_EVENTS, [row])
    writes.update(AUDIT_CHAINS, head_id, {"prev_hash": row["prev_hash"], "head_hash": row["hash"]})


@event.listens_for(AuditEvent, "before_insert")
def _link_at_flush(_mapper, connection, target: AuditEvent) -> None:
    """An event added through the ORM (`record`) is chained when it is flushed."""
    if target.hash is not None:
        return
    row = {k: getattr(target, k) for k in audit_chain.HASHED if k not in ("seq", "prev_hash")}
    if row["at"] is None:
        row["at"] = target.at = now_utc()
    if row["chain"] is None:
        row["chain"] = target.chain = audit_chain.chain_of(target.customs_id)
    row["data"] = target.data = audit_chain.normalise(target.data)
    head_id = audit_chain.link(connection, row)
    target.seq, target.prev_hash, target.hash = row["seq"], row["prev_hash"], row["hash"]
    audit_chain.set_head(connection, head_id, row)
