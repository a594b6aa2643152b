"""Carnets as the API shows them (the Carnet and CarnetSummary schemas of openapi.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import object_session

from portal.api.present import history_item  # noqa: F401  (the NICS history items)
from portal.domain import carnets as domain
from portal.domain import predeclarations
from portal.models import SET_KINDS, Carnet


def _iso(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _dec(value) -> str | None:
    return None if value is None else str(value)


def sets_of(carnet: Carnet) -> dict:
    out = {kind: {"issued": 0, "remaining": 0} for kind in SET_KINDS}
    for s in carnet.sets:
        out[s.kind] = {"issued": s.issued, "remaining": s.remaining}
    return out


def totals_of(carnet: Carnet) -> dict:
    return {
        "item_count": carnet.item_count,
        "value": _dec(carnet.total_value),
        "weight_kg": _dec(carnet.total_weight),
    }


def summary(carnet: Carnet, today: dt.date) -> dict:
    return {
        "eata_id": carnet.eata_id,
        "carnet_number": carnet.carnet_number,
        "carnet_type": carnet.carnet_type,
        "order_type": carnet.order_type,
        "format": carnet.format,
        "status": carnet.effective_status(today),
        "issue_date": carnet.issue_date.isoformat(),
        "valid_until": carnet.valid_until.isoformat(),
        "currency": carnet.currency,
        "totals": totals_of(carnet),
        "sets": sets_of(carnet),
    }


def full(carnet: Carnet, today: dt.date) -> dict:
    """Everything, decrypted: only for the carnet's own NGA."""
    ia = carnet.issuing_association
    return {
        **summary(carnet, today),
        "status_reason": carnet.status_reason,
        "nga": {"id": carnet.nga.id, "name": carnet.nga.name, "country": carnet.nga.country_code},
        "issuing_association": {"id": ia.id, "name": ia.name} if ia is not None else None,
        "departure_country": carnet.departure_country,
        "intended_use": carnet.intended_use,
        "holder": domain.holder_of(carnet),
        "representatives": domain.representatives_of(carnet),
        "items": [
            {
                "item_no": item.item_no,
                "pieces": item.pieces,
                "description": domain.item_description(carnet, item),
                "origin_country": item.origin_country,
                "value": _dec(item.value),
                "quantity": _dec(item.quantity),
                "unit": item.unit,
                "marks": domain.item_marks(carnet, item),
            }
            for item in carnet.items
        ],
        "countries": sorted(c.country_code for c in carnet.countries),
        "links": [
            {
                "kind": link.kind,
                "eata_id": link.linked_carnet.eata_id if link.linked_carnet is not None else None,
                "carnet_number": link.linked_number,
            }
            for link in carnet.links
        ],
        # the holder's pre-notifications/pre-declarations to customs offices (F-50): where,
        # when and what customs did — not the representative nor a rejection's reason
        "predeclarations": predeclarations.of_carnet(object_session(carnet), carnet.id),
        "created_at": _iso(carnet.created_at),
        "updated_at": _iso(carnet.updated_at),
    }
