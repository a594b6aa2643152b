"""Pre-notifications and pre-declarations (F-36, F-50 … F-52), without Flask.

The holder sends one for a voucher of a prepared travel to a customs office of the voucher's
territory, edits or withdraws it while it is pending; an officer of that office's
administration (within their region, R-16) acknowledges it, rejects it with a reason, or —
for a pre-declaration ("allow automatic transaction") — commits the voucher through the
engine's one commit function, `transactions.commit_voucher`, in the same database
transaction that marks the pre-declaration committed.

States: pending → acknowledged → committed; pending/acknowledged → rejected (customs) or
pending → withdrawn (holder). Every action first locks the pre-declaration's row (SELECT … FOR
UPDATE on PostgreSQL, an UPDATE on SQLite), so an officer committing while the holder
withdraws, or two officers at once, give exactly one outcome; the loser gets the sentence of
what happened. Sending locks the voucher (the engine's carnet + voucher lock) so that a voucher
has at most one open pre-declaration (a partial unique index backs it).

Every function adds its changes to the session; the caller commits.

Callers use `from portal.domain import predeclarations` and `predeclarations.<name>`; the
modules: `vocabulary` (fields, options, states), `reading` (look-ups and the customs list),
`holder` (send, edit, withdraw), `customs` (acknowledge, reject, commit), `notices` (audit
events, notifications and emails), `present` (what pages and APIs show).
"""

from __future__ import annotations

from portal.domain.predeclarations.customs import (
    acknowledge,
    commit,
    commit_closing_open,
    prefilled_fields,
    reject,
    transaction_of,
)
from portal.domain.predeclarations.holder import (
    edit,
    lock_predeclaration,
    send,
    what_happened,
    withdraw,
)
from portal.domain.predeclarations.notices import (
    audit_holder,
    audit_officer,
    tell_holders,
    tell_office,
)
from portal.domain.predeclarations.present import (
    as_json,
    details,
    of_carnet,
)
from portal.domain.predeclarations.reading import (
    holder_predeclaration,
    incoming,
    of_vouchers,
    offices_for_voucher,
    parse_state,
    pending_count,
    status_key,
)
from portal.domain.predeclarations.vocabulary import (
    CARRIAGES,
    MAX_DAYS_AHEAD,
    MAX_REASON,
    OPTIONS,
    REPRESENTATIVE_FIELDS,
    STATE_LABELS,
    TRANSPORT_MODES,
    PredeclarationInput,
    kind_name,
    representative_aad,
    representative_of,
)

__all__ = [
    "CARRIAGES",
    "MAX_DAYS_AHEAD",
    "MAX_REASON",
    "OPTIONS",
    "PredeclarationInput",
    "REPRESENTATIVE_FIELDS",
    "STATE_LABELS",
    "TRANSPORT_MODES",
    "acknowledge",
    "as_json",
    "audit_holder",
    "audit_officer",
    "commit",
    "commit_closing_open",
    "details",
    "edit",
    "holder_predeclaration",
    "incoming",
    "kind_name",
    "lock_predeclaration",
    "of_carnet",
    "of_vouchers",
    "offices_for_voucher",
    "parse_state",
    "pending_count",
    "prefilled_fields",
    "reject",
    "representative_aad",
    "representative_of",
    "send",
    "status_key",
    "tell_holders",
    "tell_office",
    "transaction_of",
    "what_happened",
    "withdraw",
]
