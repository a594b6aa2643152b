"""Signed receipts, signed carnet statements and the signed list of cancelled receipts
(docs/evidence.md). The formats and the verification are in `evidence_verify` (a file anyone
can copy); this module builds and signs them from the database.

A receipt's signed content is the canonical text

    EATAR1|<eata id>|<carnet number>|<kind>|<country>|<office>|<time>|<lines>|<code>|<kid>

signed with Ed25519 when the transaction is committed (`receipt_signature`, "<kid>.<sig>"); the
receipt's verification QR carries it followed by "|<sig>".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import archive, signing
from portal.domain import evidence_verify as ev
from portal.domain.codes import keyed_hash
from portal.domain.transactions.codes import verification_code_of
from portal.domain.visibility import full_history
from portal.models import Carnet, Transaction, TransactionItem

LINE_CODES = {
    "cleared": "",
    "not_reimported": "N",
    "processed_abroad": "P",
    "not_reexported": "H",  # home use in the territory of importation
}


def _field(value: object) -> str:
    """A field of the signed text: "|" and line breaks cannot occur in it."""
    return " ".join(str(value).replace("|", "/").split())


def lines_text(lines: Iterable[tuple[str, int, int]]) -> str:
    """(line, item_no, pieces) → "1-4x1,5x3,N2x1": cleared lines first, each kind by item;
    consecutive items of the same kind with the same pieces are one run "first-lastxpieces"
    (so that a long general list still fits a QR)."""
    order = list(LINE_CODES)
    runs: list[list] = []  # [line, first, last, pieces]
    for line, no, qty in sorted(lines, key=lambda x: (order.index(x[0]), x[1])):
        last = runs[-1] if runs else None
        if last and last[0] == line and last[2] == no - 1 and last[3] == qty:
            last[2] = no
        else:
            runs.append([line, no, no, qty])
    return ",".join(
        f"{LINE_CODES[line]}{first}{'' if first == last else f'-{last}'}x{qty}"
        for line, first, last, qty in runs
    )


def receipt_content(
    *,
    eata_id: int,
    carnet_number: str,
    kind: str,
    country: str,
    office: str,
    at: dt.datetime,
    lines: Iterable[tuple[str, int, int]],
    verification_code: str,
    kid: str,
) -> str:
    return "|".join(
        [
            ev.RECEIPT,
            str(eata_id),
            _field(carnet_number),
            kind,
            country,
            _field(office),
            at.strftime(ev.TIME_FORMAT),
            lines_text(lines),
            verification_code,
            kid,
        ]
    )


def sign_receipt(**content) -> str:
    """The stored signature "<kid>.<sig>" of a receipt's content (the commit calls this)."""
    kid = signing.keyring().signer.kid  # type: ignore[union-attr]
    text = receipt_content(**content, kid=kid)
    _kid, sig = signing.keyring().sign(text.encode())
    return f"{kid}.{sig}"


def receipt_text(
    txn: Transaction, carnet: Carnet, items: Iterable[TransactionItem], verification_code: str
) -> str | None:
    """The QR text of a signed transaction's receipt (None for one committed before receipts
    were signed)."""
    if not txn.receipt_signature:
        return None
    kid, _, sig = txn.receipt_signature.partition(".")
    content = receipt_content(
        eata_id=carnet.eata_id,
        carnet_number=carnet.carnet_number,
        kind=txn.kind,
        country=txn.country_code,
        office=txn.office_name,
        at=txn.committed_at,
        lines=[(i.line, i.item_no, i.quantity) for i in items],
        verification_code=verification_code,
        kid=kid,
    )
    return f"{content}|{sig}"


def receipt_id_of(txn: Transaction) -> str | None:
    if not txn.receipt_signature:
        return None
    return ev.receipt_id(txn.receipt_signature.partition(".")[2])


# --- cancelled receipts -----------------------------------------------------------------------


def revocation_list(session: Session, now: dt.datetime | None = None) -> dict:
    """The signed list of cancelled receipts (/.well-known/eata-receipt-revocations.json): each
    by its receipt id (the first 16 bytes of SHA-256 of its signature, which reveals nothing of
    the receipt) and the time of the cancellation."""
    # archived carnets' cancellations too: an archived receipt stays revoked
    rows = sorted(
        (
            (cid, sig, at)
            for store in (archive.LIVE, archive.ARCHIVE)
            for cid, sig, at in session.execute(
                select(store.cancellation.id, store.txn.receipt_signature, store.cancellation.at)
                .join(store.cancellation, store.cancellation.transaction_id == store.txn.id)
                .where(store.txn.receipt_signature.is_not(None))
            ).tuples()
        ),
        key=lambda r: r[0],
    )
    body = {
        "kind": "eata-receipt-revocations",
        "issued_at": (now or now_utc()).replace(microsecond=0).isoformat() + "Z",
        "revoked": [
            {
                "receipt": ev.receipt_id((sig or "").partition(".")[2]),
                "cancelled_at": at.replace(microsecond=0).isoformat() + "Z",
            }
            for _id, sig, at in rows
        ],
    }
    kid, sig = signing.keyring().sign(ev.canonical_json(body))
    return {**body, "signature": f"{kid}.{sig}"}


def is_cancelled(session: Session, fields: dict) -> bool:
    """Whether the transaction of a verified receipt was cancelled (the online check): found
    through its verification code's keyed hash (the unique index), and only if it is the very
    receipt signed."""
    code_hash = keyed_hash("verification:" + fields["verification_code"])
    txn = None
    for store in (archive.LIVE, archive.ARCHIVE):  # an archived carnet's receipt too
        txn = session.scalar(select(store.txn).where(store.txn.verification_code_hash == code_hash))
        if txn is not None:
            break
    return (
        txn is not None
        and txn.state == "cancelled"
        and txn.receipt_signature == f"{fields['kid']}.{fields['signature']}"
    )


def verify_text(text: str, session: Session | None = None) -> ev.Verdict:
    """Verify a receipt's or statement's QR text with this deployment's published keys; with a
    session, a cancelled transaction's receipt is reported as revoked."""
    keys = signing.keyring().verifier_keys()
    verdict = ev.verify(text, keys)
    if verdict.ok and session is not None and verdict.fields.get("format") == ev.RECEIPT:
        if is_cancelled(session, verdict.fields):
            return ev.verify(text, keys, {ev.receipt_id(verdict.fields["signature"])})
    return verdict


# --- the holder's signed statement of a carnet's history -------------------------------------


def statement(session: Session, carnet: Carnet, now: dt.datetime | None = None) -> dict:
    """The signed statement of a carnet's history (the wallet's PDF). Its signed text has one
    line per transaction, oldest first: the receipt's signed content (or, for a transaction
    committed before receipts were signed, "UNSIGNED|<kind>|<time>") and "|committed" or
    "|cancelled". The QR carries the carnet, the time, the number of transactions and the
    SHA-256 of that text, signed."""
    issued = (now or now_utc()).replace(microsecond=0)
    rows, lines = [], []
    for txn in full_history(session, carnet.id):
        signed = receipt_text(txn, carnet, txn.items, verification_code_of(txn))
        head = signed.rpartition("|")[0] if signed else None
        lines.append(
            (head or f"UNSIGNED|{txn.kind}|{txn.committed_at.strftime(ev.TIME_FORMAT)}")
            + ("|cancelled" if txn.state == "cancelled" else "|committed")
        )
        rows.append({"txn": txn, "signed": signed})
    signed_text = "\n".join(lines)
    digest = ev.b64u(hashlib.sha256(signed_text.encode()).digest())
    kid = signing.keyring().signer.kid  # type: ignore[union-attr]
    head = "|".join(
        [
            ev.STATEMENT,
            str(carnet.eata_id),
            _field(carnet.carnet_number),
            issued.strftime(ev.TIME_FORMAT),
            str(len(lines)),
            digest,
            kid,
        ]
    )
    _kid, sig = signing.keyring().sign(head.encode())
    return {
        "issued_at": issued,
        "rows": rows,
        "qr_text": f"{head}|{sig}",
        "signed_text": signed_text,
    }


def statement_digest_matches(qr_text: str, signed_text: str) -> bool:
    """Whether a statement's signed text (its appendix) is the one its QR signs."""
    fields = ev.parse_statement(qr_text)
    return fields is not None and fields["digest"] == ev.b64u(
        hashlib.sha256(signed_text.strip().encode()).digest()
    )
