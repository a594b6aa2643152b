"""What the customs API answers (the Customs* schemas of portal/api/openapi/customs.py)."""

from __future__ import annotations

import datetime as dt

from portal.api.present import history_item
from portal.db import now_utc
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain.rules import label
from portal.domain.visibility import history_for_territory
from portal.models import Carnet, CustomsAdministration, Hold, Transaction, Travel


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def territory_history(session, carnet: Carnet, admin: CustomsAdministration) -> list[Transaction]:
    """The carnet's transactions as the administration's territory may see them (R-04)."""
    return history_for_territory(session, carnet.id, admin.territory_id)


def voucher(session, v, admin: CustomsAdministration) -> dict:
    carnet = session.get(Carnet, v.carnet_id)
    travel = session.get(Travel, v.travel_id)
    by_id = {i.id: i for i in carnet.items}
    if v.kind == "validation":
        lines = [(i, i.pieces) for i in carnet.items]
    else:
        lines = [(by_id[t.goods_item_id], t.quantity) for t in travel.items]
    holder = carnet_domain.holder_of(carnet)
    return {
        "kind": v.kind,
        "kind_label": label(v.kind),
        "state": v.state,
        "country": v.country_code,
        "travel": {
            "departure": travel.departure_country,
            "destination": travel.destination_country,
            "transport_mode": travel.transport_mode,
        },
        "carnet": {
            "eata_id": carnet.eata_id,
            "carnet_number": carnet.carnet_number,
            "carnet_type": carnet.carnet_type,
            "holder": holder.get("name", ""),
            "issue_date": carnet.issue_date.isoformat(),
            "valid_until": carnet.valid_until.isoformat(),
            "status": carnet.effective_status(v.created_at.date()),
            "intended_use": carnet.intended_use,
            "item_count": carnet.item_count,
            "total_value": str(carnet.total_value),
            "currency": carnet.currency,
            "countries": sorted(c.country_code for c in carnet.countries),
        },
        "goods": [
            {
                "item_no": i.item_no,
                "quantity": q,
                "pieces": i.pieces,
                "description": carnet_domain.item_description(carnet, i),
                "marks": carnet_domain.item_marks(carnet, i),
            }
            for i, q in sorted(lines, key=lambda x: x[0].item_no)
        ],
        "history": [history_item(t) for t in territory_history(session, carnet, admin)],
        "on_hold": [
            {"hold_id": h.id, "office": h.office_name, "reason": h.reason}
            for h in engine.holds_of(session, territory_id=admin.territory_id)
            if h.carnet_id == carnet.id and h.customs_id == admin.id
        ],
    }


def hold(h: Hold) -> dict:
    return {
        "hold_id": h.id,
        "office_id": h.office_id,
        "office": h.office_name,
        "held_by": h.held_by,
        "held_at": _iso(h.held_at),
        "reason": h.reason,
        "reference": h.reference,
        "released_at": _iso(h.released_at),
        "released_by": h.released_by or None,
    }


def receipt(data: dict, txn: Transaction) -> dict:
    """A transaction's receipt (CustomsReceipt): the counterfoil and its codes' proof."""
    return {
        **history_item(txn),
        "kind_label": data["kind_label"],
        "eata_id": data["eata_id"],
        "carnet_number": data["carnet_number"],
        "holder": data["holder_name"],
        "officer": data["officer"],
        "verification_code": data["verification_code"],
        "cancelled_at": _iso(data["cancelled_at"]),
        "lines": [
            {
                "item_no": ln["no"],
                "pieces": ln["quantity"],
                "line": ln["line"],
                "description": ln["description"],
            }
            for ln in data["lines"]
        ],
    }


def paper_transaction(row, carnet: Carnet) -> dict:
    return {
        "paper_transaction_id": row.id,
        "eata_id": carnet.eata_id,
        "kind": row.kind,
        "country": row.country_code,
        "office": row.office_name,
        "made_on": row.made_on.isoformat(),
        "counterfoil_no": row.counterfoil_no,
        "carnet_status": carnet.effective_status(now_utc().date()),
    }
