"""Key rotation (F-26): re-encrypt every carnet field not under the primary data key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.domain import crypto
from portal.domain.carnets.contents import holder_aad, item_aad, reps_aad
from portal.models import (
    Carnet,
    IdempotencyRecord,
)

# --- key rotation ---------------------------------------------------------------------------


def rotate_keys(session: Session, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every carnet field not under the primary data key (`flask keys rotate`).
    Commits per batch, so it can run on a live system and be resumed."""
    ring = crypto.keyring()
    primary = ring.primary
    counts = {"carnets": 0, "goods_items": 0}
    last_id = 0
    while True:
        carnets = session.scalars(
            select(Carnet)
            .where(Carnet.id > last_id)
            .order_by(Carnet.id)
            .limit(batch)
            .options(selectinload(Carnet.items))
        ).all()
        if not carnets:
            break
        for carnet in carnets:
            last_id = carnet.id
            e = carnet.eata_id
            if ring.key_id_of(carnet.holder_enc) != primary:
                carnet.holder_enc = crypto.encrypt(
                    crypto.decrypt(carnet.holder_enc, holder_aad(e)), holder_aad(e)
                )
                carnet.representatives_enc = crypto.encrypt(
                    crypto.decrypt(carnet.representatives_enc, reps_aad(e)), reps_aad(e)
                )
                counts["carnets"] += 1
            for item in carnet.items:
                changed = False
                for field in ("description", "marks"):
                    attr = f"{field}_enc"
                    token = getattr(item, attr)
                    if token is not None and ring.key_id_of(token) != primary:
                        aad = item_aad(e, item.item_no, field)
                        setattr(item, attr, crypto.encrypt(crypto.decrypt(token, aad), aad))
                        changed = True
                counts["goods_items"] += changed
        session.commit()

    counts["idempotency_records"] = 0
    for record in session.scalars(select(IdempotencyRecord)):
        if ring.key_id_of(record.response_enc) != primary:
            aad = f"idempotency:{record.client_pk}:{record.key}"
            record.response_enc = crypto.encrypt(crypto.decrypt(record.response_enc, aad), aad)
            counts["idempotency_records"] += 1
    session.commit()
    return counts
