"""The carnet's vocabulary: types, formats, intended uses, units, set and status labels; the
refusal that lists every failing field.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.domain import DomainError

CARNET_TYPES = ("ATA", "CPD")
FORMATS = ("digital", "paper_clone", "twin")
INTENDED_USES = ("professional_equipment", "commercial_samples", "exhibitions_fairs")
UNITS = ("kg", "g", "t", "l", "m3")
SET_LABELS = {
    "export_reimport": _l("export/re-import"),
    "import_reexport": _l("import/re-export"),
    "transit": _l("transit"),
}
TYPE_LABELS = {"ATA": _l("ATA carnet"), "CPD": _l("CPD carnet")}
FORMAT_SHORT_LABELS = {
    "digital": _l("digital"),
    "paper": _l("paper"),
    "paper_clone": _l("paper, with its digital clone"),
    "twin": _l("paper and digital twins"),
}
STATUS_LABELS = {
    "issued": _l("issued"),
    "active": _l("active"),
    "cancelled": _l("cancelled"),
    "blocked": _l("blocked"),
    "discharged": _l("discharged"),
    "expired": _l("expired"),
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
