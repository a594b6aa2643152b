"""What the holder declares for a travel."""

from __future__ import annotations

from dataclasses import dataclass, field

TRANSPORT_MODES = ("air", "sea", "land")
SET_OF_KIND = {"export": "export_reimport", "import": "import_reexport", "transit_open": "transit"}


@dataclass
class TravelInput:
    departure_country: str
    destination_country: str
    transport_mode: str
    items: dict[int, int]  # item_no → quantity
    signed_name: str
    transit_countries: list[str] = field(default_factory=list)
    nickname: str = ""
    location: str = ""
    extra_details: str = ""
    packaging_details: str = ""
