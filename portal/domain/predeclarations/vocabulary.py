"""What a pre-declaration holds: the guide's options, carriage, transport modes, states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.domain import crypto
from portal.models import (
    Predeclaration,
)

OPTIONS = {
    "": "Pre-notification with the carnet's details",
    "notification_only": "Pre-notification only (without the carnet's details)",
    "automatic": "Pre-declaration (allow automatic transaction)",
}
CARRIAGES = {"cargo": "Cargo", "hand_carry": "Hand carry"}
TRANSPORT_MODES = {"air": "Air", "sea": "Sea", "land": "Land"}
STATE_LABELS = {
    "pending": "pending",
    "acknowledged": "acknowledged",
    "rejected": "rejected",
    "committed": "committed",
    "withdrawn": "withdrawn",
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
    return "pre-declaration" if p.option == "automatic" else "pre-notification"


def representative_aad(p: Predeclaration) -> str:
    return f"predeclaration:{p.voucher_id}:{p.holder_id}:representative"


def representative_of(p: Predeclaration) -> dict:
    if not p.representative_enc:
        return {}
    return crypto.decrypt_json(p.representative_enc, representative_aad(p))
