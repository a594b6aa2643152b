"""Reconciliation status and claims as the NICS API shows them (Reconciliation, Claim)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.domain import archive
from portal.domain import claims as claim_domain
from portal.domain.reconciliation import STATUS_LABELS
from portal.models import Carnet, CustomsAdministration, CustomsTerritory


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def territory_codes(session) -> dict[int, str]:
    return dict(session.execute(select(CustomsTerritory.id, CustomsTerritory.code)).all())


def reconciliation(carnet: Carnet, status: str, lines, codes: dict[int, str]) -> dict:
    return {
        "eata_id": carnet.eata_id,
        "status": str(STATUS_LABELS[status]),
        "unbalanced": [
            {
                "item_no": ln.item_no,
                "territory": codes.get(ln.territory_id, ""),
                "pieces": ln.missing,
                "obligation": ln.obligation,
            }
            for ln in lines
        ]
        if status == "to_check"
        else [],
    }


def claim(session, c, limits: claim_domain.Limits, today: dt.date, detail: bool = False) -> dict:
    carnet = session.get(Carnet, c.carnet_id)
    admin = session.get(CustomsAdministration, c.customs_id)
    out = {
        "id": c.id,
        "eata_id": carnet.eata_id,
        "carnet_number": carnet.carnet_number,
        "customs": admin.code.upper(),
        "status": c.status,
        "reason": c.reason,
        "import_duties": str(c.import_duties),
        "liability_cap": str(claim_domain.liability_cap(c)),
        "currency": c.currency,
        "opened_at": _iso(c.opened_at),
        "answered_at": _iso(c.answered_at),
        "provisional_payment_at": _iso(c.provisional_payment_at),
        "closed_at": _iso(c.closed_at),
        "items": [
            {
                "item_no": int(i["item_no"]),
                "obligation": i["obligation"],
                "missing": int(i["missing"]),
            }
            for i in (c.items or [])
        ],
        "deadlines": [
            {
                "label": d.label,
                "due": d.due.isoformat(),
                "met_on": d.met_on.isoformat() if d.met_on else None,
                "overdue": d.overdue,
            }
            for d in claim_domain.deadlines(c, carnet, limits, today)
        ],
    }
    if detail:
        out["events"] = [
            {
                "kind": e.kind,
                "actor": e.actor,
                "at": _iso(e.at),
                "text": e.text,
                "transaction_ids": [int(t) for t in (e.transaction_ids or [])],
            }
            for e in c.events
        ]
        out["evidence"] = [
            {
                "id": ev.id,
                "kind": ev.kind,
                "filename": ev.filename,
                "content_type": ev.content_type,
                "size": ev.size,
                "uploaded_at": _iso(ev.uploaded_at),
            }
            for ev in c.evidence
        ]
        # the pointers an answer may use: the carnet's recorded transactions
        txn = archive.store_of(carnet).txn  # an archived carnet's from the archive
        out["transactions"] = [
            {
                "id": t.id,
                "kind": t.kind,
                "state": t.state,
                "country": t.country_code,
                "committed_at": _iso(t.committed_at),
            }
            for t in session.scalars(
                select(txn).where(txn.carnet_id == carnet.id).order_by(txn.committed_at, txn.id)
            )
        ]
    return out
