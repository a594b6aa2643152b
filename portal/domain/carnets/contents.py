"""A carnet's confidential contents: encryption helpers (holder, representative, general list,
each with associated data naming its row) and the snapshots shown by the audit trail and the
APIs.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import audit, crypto
from portal.domain.api_clients import Actor
from portal.domain.carnets.vocabulary import EATA_ID_MAX, EATA_ID_MIN
from portal.models import (
    Carnet,
    GoodsItem,
)

# --- encryption helpers: the only way to read a carnet's confidential contents ---------------


def holder_aad(eata_id: int) -> str:
    return f"carnet:{eata_id}:holder"


def reps_aad(eata_id: int) -> str:
    return f"carnet:{eata_id}:representatives"


def item_aad(eata_id: int, item_no: int, field: str) -> str:
    return f"goods_item:{eata_id}:{item_no}:{field}"


def holder_of(carnet: Carnet) -> dict:
    return crypto.decrypt_json(carnet.holder_enc, holder_aad(carnet.eata_id))


def representatives_of(carnet: Carnet) -> list[dict]:
    return crypto.decrypt_json(carnet.representatives_enc, reps_aad(carnet.eata_id))


def item_description(carnet: Carnet, item: GoodsItem) -> str:
    return crypto.decrypt(
        item.description_enc, item_aad(carnet.eata_id, item.item_no, "description")
    )


def item_marks(carnet: Carnet, item: GoodsItem) -> str | None:
    if item.marks_enc is None:
        return None
    return crypto.decrypt(item.marks_enc, item_aad(carnet.eata_id, item.item_no, "marks"))


# --- snapshots for the audit trail and the API ----------------------------------------------


def snapshot(carnet: Carnet) -> dict:
    """The non-confidential state recorded as before/after in audit events."""
    return {
        "status": carnet.status,
        "status_reason": carnet.status_reason,
        "valid_until": carnet.valid_until.isoformat(),
        "sets": {s.kind: {"issued": s.issued, "remaining": s.remaining} for s in carnet.sets},
        "item_count": carnet.item_count,
        "total_value": str(carnet.total_value),
    }


def audit_carnet(
    session: Session,
    action: str,
    carnet: Carnet,
    actor: Actor,
    before: dict | None,
    extra: dict | None = None,
) -> None:
    data = {"carnet_number": carnet.carnet_number, "before": before, "after": snapshot(carnet)}
    if extra:
        data.update(extra)
    audit.record(
        session,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        ip=actor.ip,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data=data,
    )


def new_eata_id(session: Session) -> int:
    while True:
        candidate = secrets.randbelow(EATA_ID_MAX - EATA_ID_MIN + 1) + EATA_ID_MIN
        if session.scalar(select(Carnet.id).where(Carnet.eata_id == candidate)) is None:
            return candidate
