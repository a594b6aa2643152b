"""The carnet registry: issuance and life-cycle (F-20 … F-23, F-25, F-26, R-12).

Callers use `from portal.domain import carnets` and `carnets.<name>`; the modules, by what they do:

- `vocabulary`: carnet types, formats, uses, units, set and status labels, `ValidationFailed`;
- `contents`: the only way to read or write a carnet's confidential contents (encryption with
  associated data naming the row, e.g. "carnet:<eata_id>:holder") and the snapshots the audit
  trail and the APIs show;
- `issue`: issuing a carnet (F-20);
- `lookup`: finding carnets (by eATA ID, number, an NGA's list);
- `lifecycle`: sets, replacement, cancellation, blocking, discharge (F-21 … F-23);
- `history`: a carnet's audit trail (F-25);
- `keys`: re-encryption under the primary data key (`flask keys rotate`, F-26).

Functions take a session and an Actor and add their changes plus an audit event to the
session; the caller commits. Refusals raise DomainError subclasses with a sentence a person
can read. Input checks are in portal/domain/carnet_input.py.
"""

from __future__ import annotations

from portal.domain.carnet_input import check_carnet_input, fmt_date, one_year_after
from portal.domain.carnets.contents import (
    audit_carnet,
    holder_aad,
    holder_of,
    item_aad,
    item_description,
    item_marks,
    new_eata_id,
    representatives_of,
    reps_aad,
    snapshot,
)
from portal.domain.carnets.history import (
    ACTOR_LABELS,
    audit_lines,
    audit_trail,
    describe_changes,
    get_by_eata_id,
)
from portal.domain.carnets.issue import (
    issue_carnet,
)
from portal.domain.carnets.keys import (
    rotate_keys,
)
from portal.domain.carnets.lifecycle import (
    ALLOWED_FROM,
    add_sets,
    block,
    cancel,
    check_allowed,
    discharge,
    issue_replacement,
    lifecycle_status,
    mark_activated,
    paper_validation,
    unblock,
    verify_download_pin,
)
from portal.domain.carnets.lookup import (
    find_by_number,
    get_for_nga,
    list_for_nga,
    transaction_history,
)
from portal.domain.carnets.vocabulary import (
    CARNET_TYPES,
    EATA_ID_MAX,
    EATA_ID_MIN,
    FORMAT_SHORT_LABELS,
    FORMATS,
    INTENDED_USES,
    MAX_SETS_PER_KIND,
    PIN_DIGITS,
    SET_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    UNITS,
    ValidationFailed,
)

__all__ = [
    "ACTOR_LABELS",
    "ALLOWED_FROM",
    "CARNET_TYPES",
    "EATA_ID_MAX",
    "EATA_ID_MIN",
    "FORMATS",
    "INTENDED_USES",
    "MAX_SETS_PER_KIND",
    "PIN_DIGITS",
    "SET_LABELS",
    "STATUS_LABELS",
    "TYPE_LABELS",
    "FORMAT_SHORT_LABELS",
    "UNITS",
    "ValidationFailed",
    "add_sets",
    "audit_carnet",
    "audit_lines",
    "audit_trail",
    "block",
    "cancel",
    "check_allowed",
    "lifecycle_status",
    "paper_validation",
    "check_carnet_input",
    "describe_changes",
    "discharge",
    "find_by_number",
    "fmt_date",
    "get_by_eata_id",
    "get_for_nga",
    "holder_aad",
    "holder_of",
    "issue_carnet",
    "issue_replacement",
    "item_aad",
    "item_description",
    "item_marks",
    "list_for_nga",
    "mark_activated",
    "new_eata_id",
    "one_year_after",
    "representatives_of",
    "reps_aad",
    "rotate_keys",
    "snapshot",
    "transaction_history",
    "unblock",
    "verify_download_pin",
]
