"""The carnet's vocabulary: types, formats, intended uses, units, set and status labels; the
refusal that lists every failing field.
"""

from __future__ import annotations

from portal.domain import DomainError

CARNET_TYPES = ("ATA", "CPD")
FORMATS = ("digital", "paper_clone", "twin")
INTENDED_USES = ("professional_equipment", "commercial_samples", "exhibitions_fairs")
UNITS = ("kg", "g", "t", "l", "m3")
SET_LABELS = {
    "export_reimport": "export/re-import",
    "import_reexport": "import/re-export",
    "transit": "transit",
}
STATUS_LABELS = {
    "issued": "issued",
    "active": "active",
    "cancelled": "cancelled",
    "blocked": "blocked",
    "discharged": "discharged",
    "expired": "expired",
}
MAX_SETS_PER_KIND = 99
PIN_DIGITS = 8
EATA_ID_MIN, EATA_ID_MAX = 100_000_000, 999_999_999  # nine digits, random: not enumerable


class ValidationFailed(DomainError):
    """Input refused, with every failing field: [{"field": "items[2].value", "message": …}]."""

    status = 422

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} field(s) are not valid.", code="validation")
        self.errors = errors
