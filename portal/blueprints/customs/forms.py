"""The desk's forms: what steps 3 and 4 read from a request (pieces presented, identification
marks, the commit's fields of each kind), checked for format only — which values are allowed is
the transaction engine's to say (portal.domain.transactions).

Step 3: the officer may put identification marks (saved at once, audited) and, for every kind
but a validation, change the pieces presented per item (the guide's "quick changes"). The pieces
are not stored before the commit: they travel as q_<item no> in the URL of steps 3 and 4 (only
those that differ from the declaration) and as hidden inputs of step 4's commit form; the engine
checks them when the officer leaves step 3 and again, under its locks, at the commit. A refusal
re-renders step 3 with the message next to the item's field.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask_babel import gettext as _

from portal.domain import DomainError

# an item's field on step 3: q_<item no> (pieces presented), marks_<item no> (identification
# marks); item numbers as the general list numbers them (ASCII digits, no leading zero), so two
# spellings never name the same item
QTY_KEY = re.compile(r"q_([1-9][0-9]{0,8})")
MARKS_KEY = re.compile(r"marks_([1-9][0-9]{0,8})")


def quantities_in(source, declared: list[dict]) -> tuple[dict[int, int], dict[str, str]]:
    """The pieces presented typed on step 3 (q_<item no>, from a form or the URL):
    ({item_no: pieces} where they differ from the declaration, errors by field). Only the
    format is checked here; which pieces may be presented is the engine's to say."""
    declared_qty = {i["no"]: i["qty"] for i in declared}
    changes: dict[int, int] = {}
    errors: dict[str, str] = {}
    for key, raw in source.items():
        m = QTY_KEY.fullmatch(key)
        if m is None:
            continue
        no, raw = int(m.group(1)), (raw or "").strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
            limit = declared_qty.get(no)
            errors[key] = (
                _(
                    "Item %(no)s: type a whole number of pieces, from 0 to %(limit)s.",
                    no=no,
                    limit=limit,
                )
                if limit is not None
                else _("Item %(no)s: type a whole number of pieces.", no=no)
            )
        elif int(raw) != declared_qty.get(no):
            changes[no] = int(raw)
    return changes, errors


def quantities_query(changes: dict[int, int]) -> str:
    """The quantities' state for a relative link of the wizard ("", or "?q_1=2&q_3=0")."""
    return "?" + urlencode({f"q_{no}": n for no, n in sorted(changes.items())}) if changes else ""


def goods_errors(e: DomainError, declared: list[dict]) -> dict[str, str]:
    """An engine refusal on step 3, next to the field it concerns: an item's marks or pieces
    presented, else above the goods."""
    nos = {i["no"] for i in declared}
    if e.field in TRAVEL_FIELDS:  # the holder-filled fields (quick edits)
        return {e.field: e.message}
    if e.field and e.field.startswith("marks_"):
        m = MARKS_KEY.fullmatch(e.field)
        return {e.field if m and int(m.group(1)) in nos else "marks": e.message}
    if e.item in nos:
        return {f"q_{e.item}": e.message}
    return {"quantities": e.message}


def about_quantities(e: DomainError) -> bool:
    return e.field == "quantities" or e.code == "quantity" or e.item is not None


# the item lines of a kind besides the goods cleared, typed at step 4 as <name>_<item no>
LINE_FIELDS = {
    "reimport": ("not_reimported", "processed_abroad"),
    "reexport": ("not_reexported",),
}


def item_pieces(f, name: str) -> dict[int, int]:
    """{item no: pieces} of the fields `<name>_<item no>` of a form (blank ones ignored). An
    item number that is not one (ASCII digits, no leading zero) or pieces that are not a whole
    number are refused naming the field; which items exist is the engine's to say."""
    key_re = re.compile(re.escape(name) + r"_(.*)")
    lines: dict[int, int] = {}
    for key, value in f.items():
        m = key_re.fullmatch(key)
        if m is None or not (value or "").strip():
            continue
        no, raw = m.group(1), value.strip()
        if not re.fullmatch(r"[1-9][0-9]{0,8}", no):
            raise DomainError(_("No such item on the general list."), field=name)
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
            raise DomainError(_("Item %(no)s: give a whole number of pieces.", no=no), field=name)
        lines[int(no)] = int(raw)
    return lines


def commit_fields(kind: str, f) -> tuple[dict, str | None]:
    """Step 4's form as the engine's fields of a `kind` of voucher, and the step asked for
    ("Exit" first, F-42). A malformed number of pieces is a refusal of that field."""
    fields: dict = {}
    for name in ("reference", "remarks"):
        if f.get(name, "").strip():
            fields[name] = f.get(name)
    if kind == "validation" and f.get("goods_examined") in ("yes", "no"):
        fields["goods_examined"] = f.get("goods_examined") == "yes"
    if kind in ("export", "import", "transit_open") and f.get("final_date"):
        fields["final_date"] = f.get("final_date")
    if kind == "transit_open":
        fields["customs_seals"] = f.get("customs_seals", "")
    if kind == "reexport":
        fields["action_not_reexported"] = f.get("action_not_reexported", "")
        fields["action_not_produced"] = f.get("action_not_produced", "")
    for name in LINE_FIELDS.get(kind, ()):
        lines = item_pieces(f, name)
        if lines:
            fields[name] = lines
    step = f.get("step") or None
    return fields, step


# the holder-filled fields of the travel the officer may change at step 3 (the guide's Update):
# the engine's names (transactions.AMENDABLE)
TRAVEL_FIELDS = ("transport_mode", "packaging_details", "extra_details")


def travel_changes(travel, f) -> dict[str, str]:
    """The travel's holder-filled fields that step 3's form changes (whitespace aside); sent to
    the engine (`amend_travel`), which checks them and records the officer's change."""
    out = {}
    for name in TRAVEL_FIELDS:
        if name in f and " ".join(f[name].split()) != (getattr(travel, name) or ""):
            out[name] = f[name]
    return out
