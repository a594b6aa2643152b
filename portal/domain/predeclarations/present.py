"""What the pages and the APIs show of a pre-declaration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.carnets import holder_of, item_description
from portal.domain.predeclarations.vocabulary import (
    CARRIAGES,
    OPTIONS,
    TRANSPORT_MODES,
    kind_name,
    representative_of,
)
from portal.domain.rules import label
from portal.domain.transactions.checks import voucher_lines
from portal.models import (
    Carnet,
    Office,
    Predeclaration,
    Voucher,
)

# --- presentation (web pages and APIs) ---------------------------------------------------------


def details(session: Session, p: Predeclaration, carnet: Carnet | None = None) -> dict:
    """What customs see of a pre-declaration. A pre-notification "only" (sent without the
    carnet's details) shows the carnet's number but not its holder nor its goods."""
    carnet = carnet or session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    out: dict = {
        "id": p.id,
        "type": kind_name(p),
        "kind": p.kind,
        "kind_label": label(p.kind),
        "option": p.option,
        "option_label": OPTIONS[p.option],
        "state": p.state,
        "reason": p.reason,
        "carnet_number": carnet.carnet_number,
        "eata_id": carnet.eata_id,
        "carnet_type": carnet.carnet_type,
        "office_id": p.office_id,
        "office_name": office.name if office else "",
        "expected_at": p.expected_at,
        "carriage": p.carriage,
        "carriage_label": CARRIAGES[p.carriage],
        "shipment_number": p.shipment_number,
        "transport_mode": p.transport_mode,
        "transport_mode_label": TRANSPORT_MODES[p.transport_mode],
        "transport_id": p.transport_id,
        "representative": representative_of(p),
        "acted_by": p.acted_by,
        "acted_at": p.acted_at,
        "transaction_id": p.transaction_id,
        "created_at": p.created_at,
        "with_details": p.option != "notification_only",
        "holder": None,
        "goods": [],
    }
    if out["with_details"]:
        out["holder"] = (holder_of(carnet) or {}).get("name", "")
        voucher = session.get(Voucher, p.voucher_id)
        assert voucher is not None
        out["goods"] = [
            {"no": item.item_no, "description": item_description(carnet, item), "pieces": qty}
            for item, qty in voucher_lines(session, carnet, voucher)
        ]
    return out


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def as_json(session: Session, p: Predeclaration, carnet: Carnet | None = None) -> dict:
    """A pre-declaration for the customs API (schema CustomsPredeclaration)."""
    d = details(session, p, carnet)
    return {
        "predeclaration_id": p.id,
        "type": d["type"],
        "kind": p.kind,
        "option": p.option,
        "state": p.state,
        "reason": p.reason or None,
        "eata_id": d["eata_id"],
        "carnet_number": d["carnet_number"],
        "holder": d["holder"],
        "office_id": p.office_id,
        "office": d["office_name"],
        # the office's local time as the holder typed it: no time zone
        "expected_at": p.expected_at.replace(microsecond=0).isoformat(),
        "carriage": p.carriage,
        "shipment_number": p.shipment_number,
        "transport_mode": p.transport_mode,
        "transport_id": p.transport_id,
        "representative": d["representative"] or None,
        "goods": [
            {"item_no": g["no"], "description": g["description"], "pieces": g["pieces"]}
            for g in d["goods"]
        ],
        "acted_by": p.acted_by or None,
        "acted_at": _iso(p.acted_at),
        "transaction_id": p.transaction_id,
        "created_at": _iso(p.created_at),
    }


def of_carnet(session: Session, carnet_id: int) -> list[dict]:
    """The carnet's pre-declarations as its NGA sees them (NICS API): where, when, what state —
    not the representative nor the rejection's reason."""
    rows = session.execute(
        select(Predeclaration, Office.name, Office.country_code)
        .join(Office, Office.id == Predeclaration.office_id)
        .where(Predeclaration.carnet_id == carnet_id)
        .order_by(Predeclaration.created_at, Predeclaration.id)
    ).all()
    return [
        {
            "predeclaration_id": p.id,
            "type": kind_name(p),
            "kind": p.kind,
            "state": p.state,
            "office": name,
            "country": country,
            "expected_at": p.expected_at.replace(microsecond=0).isoformat(),
            "transport_mode": p.transport_mode,
            "created_at": _iso(p.created_at),
        }
        for p, name, country in rows
    ]
