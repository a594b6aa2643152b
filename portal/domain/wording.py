"""Words of the screens and messages: the names of the stored codes (states, statuses, modes) in
the reader's language (F-83), and numbers with their word ("1 carnet", "2 carnets")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# a stored code → what a person reads; an unknown code is shown with spaces for underscores
CODE_LABELS = {
    # transactions, holds, jobs
    "committed": _l("committed"),
    "cancelled": _l("cancelled"),
    "done": _l("done"),
    "failed": _l("failed"),
    "queued": _l("queued"),
    "running": _l("running"),
    # carnets
    "issued": _l("issued"),
    "active": _l("active"),
    "blocked": _l("blocked"),
    "discharged": _l("discharged"),
    "expired": _l("expired"),
    "valid": _l("valid"),
    "professional_equipment": _l("professional equipment"),
    "commercial_samples": _l("commercial samples"),
    "exhibitions_fairs": _l("exhibitions and fairs"),
    "original": _l("original"),
    "replacement": _l("replacement"),
    # pre-declarations
    "pending": _l("pending"),
    "acknowledged": _l("acknowledged"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
    # transport
    "air": _l("air"),
    "sea": _l("sea"),
    "land": _l("land"),
    # claims
    "open": _l("open"),
    "answered": _l("answered"),
    "settled": _l("settled"),
    # receipt lines
    "cleared": _l("cleared"),
    "not_reimported": _l("not re-imported"),
    "processed_abroad": _l("processed abroad"),
}


def code_label(code: str | None) -> str:
    """`{{ t.state|state }}`: "committed" → "committed" / "validée" / "validada"."""
    if not code:
        return ""
    text = CODE_LABELS.get(code)
    return str(text) if text is not None else code.replace("_", " ")


def plural(n: int, word: str, words: str | None = None) -> str:
    """`n` and the word in the right number: plural(1, "carnet") → "1 carnet";
    plural(3, "carnet") → "3 carnets"; `words` for an irregular plural. English only: texts a
    person reads use ngettext."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
