"""What both APIs answer alike: a transaction of a carnet's history (HistoryItem)."""

from __future__ import annotations

import datetime as dt


def _iso(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def history_item(txn) -> dict:
    """A transaction as both APIs list it (HistoryItem): what the counterfoil shows, without
    the officer's name."""
    return {
        "transaction_id": txn.id,
        "kind": txn.kind,
        "state": txn.state,
        "country": txn.country_code,
        "office": txn.office_name,
        "committed_at": _iso(txn.committed_at),
        "reference": txn.reference or "",
        "goods": [
            {"item_no": i.item_no, "pieces": i.quantity, "line": i.line}
            for i in sorted(txn.items, key=lambda i: (i.item_no, i.line))
        ],
    }
