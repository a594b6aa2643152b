"""A carnet's audit trail (F-25)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import NotFound
from portal.models import (
    AuditEvent,
    Carnet,
)

# --- audit trail ----------------------------------------------------------------------------


def audit_trail(session: Session, eata_id: int) -> list[AuditEvent]:
    """Every recorded change of a carnet, oldest first (F-25)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "carnet", AuditEvent.object_id == str(eata_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out: dict = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def describe_changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field an audit event changed."""
    old, new = _flatten(before or {}), _flatten(after or {})
    if before is None:
        return [(k, None, v) for k, v in new.items() if v not in ("", None)]
    return [
        (k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    ]


ACTOR_LABELS = {
    "api_client": "API client",
    "account": "customs account",
    "holder": "holder",
    "operator": "operator",
    "chamber_staff": "issuing association staff",
    "system": "system",
}


def audit_lines(session: Session, eata_id: int) -> list[dict]:
    """The audit trail made readable: when, what, who (and from where), what changed."""
    lines = []
    for event in audit_trail(session, eata_id):
        data = event.data or {}
        changes = describe_changes(data.get("before"), data.get("after"))
        lines.append(
            {
                "at": event.at,
                "action": event.action,
                "actor_type": event.actor_type,
                "actor": f"{ACTOR_LABELS.get(event.actor_type, event.actor_type)} "
                f"{event.actor_label}".strip(),
                "ip": event.ip,
                "customs_id": event.customs_id,
                "change_list": changes,
                "changes": "; ".join(
                    f"{k}: {'—' if a is None else a} → {'—' if b is None else b}"
                    for k, a, b in changes
                )
                if data.get("before") is not None
                else "created",
                "extra": {k: v for k, v in data.items() if k not in ("before", "after")},
            }
        )
    return lines


def get_by_eata_id(session: Session, eata_id: int) -> Carnet:
    carnet = session.scalar(select(Carnet).where(Carnet.eata_id == eata_id))
    if carnet is None:
        raise NotFound(f"No carnet with eATA ID {eata_id}.")
    return carnet
