"""A transaction's codes: the officer's verification code and the holder's cancellation code
(F-34, R-05), stored as a keyed hash (to look them up) and encrypted (to show them again), and
the commit token of a wizard pass or an API call (R-11)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import crypto
from portal.domain.codes import keyed_hash, new_typable_code
from portal.models import Transaction

CODE_LENGTH = 13


@dataclass(frozen=True)
class CommitResult:
    transaction_id: int
    kind: str
    verification_code: str
    cancellation_code: str
    transaction_ids: tuple[int, ...]
    replayed: bool = False


@dataclass(frozen=True)
class NewCodes:
    """A transaction's two new codes, as shown (plain) and as stored (hash + ciphertext)."""

    verification: str
    cancellation: str
    stored: dict[str, str]


def token_hash(token: str) -> str:
    return keyed_hash("commit:" + token)


def aad(code_hash: str, what: str) -> str:
    """Binds a code's ciphertext to its row (through the row's unique code hash)."""
    return f"transaction:{code_hash}:{what}"


def new_codes() -> NewCodes:
    verification = new_typable_code(CODE_LENGTH)
    cancellation = new_typable_code(CODE_LENGTH)
    v_hash = keyed_hash("verification:" + verification)
    c_hash = keyed_hash("cancellation:" + cancellation)
    return NewCodes(
        verification,
        cancellation,
        {
            "verification_code_hash": v_hash,
            "verification_code_enc": crypto.encrypt(verification, aad(v_hash, "verification")),
            "cancellation_code_hash": c_hash,
            "cancellation_code_enc": crypto.encrypt(cancellation, aad(c_hash, "cancellation")),
        },
    )


def codes_of(txn: Transaction) -> tuple[str, str]:
    return (
        crypto.decrypt(txn.verification_code_enc, aad(txn.verification_code_hash, "verification")),
        crypto.decrypt(txn.cancellation_code_enc, aad(txn.cancellation_code_hash, "cancellation")),
    )


def verification_code_of(txn: Transaction) -> str:
    return codes_of(txn)[0]


def cancellation_code_of(txn: Transaction) -> str:
    """The holder's cancellation code (wallet, F-34), to show at the same counter (R-05)."""
    return codes_of(txn)[1]


def result_of(txn: Transaction, ids: tuple[int, ...], replayed: bool) -> CommitResult:
    verification, cancellation = codes_of(txn)
    return CommitResult(txn.id, txn.kind, verification, cancellation, ids, replayed)


def committed_by_token(session: Session, commit_token: str) -> int | None:
    """The id of the transaction that a wizard's one-time commit token (or an API's
    Idempotency-Key) committed, if it did (the last one of an export + exit pair)."""
    return session.scalar(
        select(Transaction.id).where(Transaction.commit_token_hash == token_hash(commit_token))
    )
