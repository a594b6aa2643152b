"""The transaction engine (F-41 … F-48, R-01 … R-11): commit, reject, cancel, hold, release.

Callers import from here (`transactions.commit_voucher`, `transactions.check_presented`, …);
the modules of the package, by what they do:

- `place`: `Officer` (who acts) and `place_of` (where: administration, country, territory);
- `locking`: the carnet + voucher locks every action takes first, and the fixed statements
  of the engine (built once per process);
- `checks`: the voucher's state, the fields of each kind, the goods a voucher clears, the
  pieces presented at step 3 (`check_presented`, `quantities_editable`, `declared_goods`);
- `commit`: `commit_voucher`, in five phases (load and lock → replay → checks → build the
  rows → write);
- `codes`: verification and cancellation codes, the commit token (R-11), `CommitResult`;
- `desk`: reject (F-44a), hold and release (F-46, R-03), identification marks, the office's
  lists;
- `cancel`: cancellation with the holder's code (F-44, R-05), the holder's check of the
  verification code (F-34);
- `notify`: the holders' notifications and their outbox rows.

Every function takes a session and adds its changes to it; the caller commits. Every refusal
raises DomainError before anything is written. The rules themselves are in
portal/domain/rules.py.
"""

from __future__ import annotations

from portal.domain.transactions.cancel import cancel_transaction, check_verification_code
from portal.domain.transactions.checks import (
    COMMON_FIELDS,
    EXPORT_STEPS,
    FIELD_LABELS,
    KIND_FIELDS,
    check_presented,
    declared_goods,
    quantities_editable,
)
from portal.domain.transactions.codes import (
    CODE_LENGTH,
    CommitResult,
    cancellation_code_of,
    committed_by_token,
    verification_code_of,
)
from portal.domain.transactions.commit import commit_voucher
from portal.domain.transactions.desk import (
    AMENDABLE,
    MAX_MARKS,
    amend_travel,
    hold_carnet,
    holds_of,
    last_commits,
    mark_goods,
    reject_voucher,
    rejections_for,
    release_hold,
)
from portal.domain.transactions.place import Officer, place_of
from portal.domain.vouchers import TooManyGuesses

__all__ = [
    "Officer",
    "CommitResult",
    "commit_voucher",
    "reject_voucher",
    "cancel_transaction",
    "hold_carnet",
    "release_hold",
    "holds_of",
    "last_commits",
    "rejections_for",
    "check_verification_code",
    "cancellation_code_of",
    "verification_code_of",
    "place_of",
    "TooManyGuesses",
    "mark_goods",
    "quantities_editable",
    "declared_goods",
    "check_presented",
    "committed_by_token",
    "CODE_LENGTH",
    "COMMON_FIELDS",
    "KIND_FIELDS",
    "FIELD_LABELS",
    "EXPORT_STEPS",
    "MAX_MARKS",
    "AMENDABLE",
    "amend_travel",
]
