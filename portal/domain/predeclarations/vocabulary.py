"""What a pre-declaration holds: the guide's options, carriage, transport modes, states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.domain import crypto
from portal.models import (
    Predeclaration,
)

OPTIONS = {
    "": _l("Pre-notification with the carnet's details"),
    "notification_only": _l("Pre-notification only (without the carnet's details)"),
    "automatic": _l("Pre-declaration (allow automatic transaction)"),
}
CARRIAGES = {"cargo": _l("Cargo"), "hand_carry": _l("Hand carry")}
TRANSPORT_MODES = {"air": _l("Air"), "sea": _l("Sea"), "land": _l("Land")}
STATE_LABELS = {
    "pending": _l("pending"),
    "acknowledged": _l("acknowledged"),
    "rejected": _l("rejected"),
    "committed": _l("committed"),
    "withdrawn": _l("withdrawn"),
}
REPRESENTATIVE_FIELDS = ("name", "eori", "city", "country")
MAX_REASON = 1000
# how far ahead a pre-declaration may announce an arrival
MAX_DAYS_AHEAD = 366


@dataclass
class PredeclarationInput:
    """What the holder fills in (the App User Guide's "Predeclarations" screen)."""

    office_id: Any
    expected_date: Any  # date or dd/mm/yyyy / yyyy-mm-dd
    expected_time: Any  # time or HH:MM
    carriage: str
    transport_mode: str
    option: str = ""
    shipment_number: str = ""
    transport_id: str = ""
    representative: dict = field(default_factory=dict)


def kind_name(p: Predeclaration) -> str:
    return str(_l("pre-declaration") if p.option == "automatic" else _l("pre-notification"))


def representative_aad(p: Predeclaration) -> str:
    return f"predeclaration:{p.voucher_id}:{p.holder_id}:representative"


def representative_of(p: Predeclaration) -> dict:
    if not p.representative_enc:
        return {}
    return crypto.decrypt_json(p.representative_enc, representative_aad(p))
