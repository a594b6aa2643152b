"""Offline verification of eATA's signed evidence: receipts, carnet statements, the list of
cancelled receipts and audit checkpoints (docs/evidence.md).

This file is self-contained on purpose — the Python standard library and the `cryptography`
package only, no other part of eATA — so that anyone can copy it and verify a receipt without
the system:

    python evidence_verify.py --keys eata-receipt-keys.json [--revocations revoked.json] QR-TEXT
    python evidence_verify.py --keys eata-receipt-keys.json FILE   (a text file with the QR text)

The keys document is what the deployment publishes at /.well-known/eata-receipt-keys.json (and
GET /v1/receipt-keys of the NICS API); the revocation list is
/.well-known/eata-receipt-revocations.json. eATA itself verifies with these same functions.

Formats (UTF-8 text, fields separated by "|"; no field may contain "|"):

    receipt:   EATAR1|<eata id>|<carnet number>|<kind>|<country>|<office>|<time>|<lines>|<code>|<kid>|<sig>
    statement: EATAS1|<eata id>|<carnet number>|<time>|<transactions>|<digest>|<kid>|<sig>

<time> is UTC, YYYYMMDDTHHMMSSZ; <lines> are the goods lines "<item>x<pieces>" joined by ",",
prefixed "N" (not re-imported) or "P" (processed abroad), sorted; <code> is the officer's
verification code; <digest> the base64url SHA-256 of the statement's signed text; <kid> the
signing key's id; <sig> the base64url (no padding) Ed25519 signature of every byte before
"|<sig>" (the kid is signed too).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT = "EATAR1"
STATEMENT = "EATAS1"
RECEIPT_FIELDS = 11
STATEMENT_FIELDS = 8
TIME_FORMAT = "%Y%m%dT%H%M%SZ"

VALID, INVALID, REVOKED, UNKNOWN_KEY = "valid", "invalid", "revoked", "unknown key"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> bytes:
    """The signed form of a JSON document: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(value).encode()


def receipt_id(signature_b64: str) -> str:
    """A receipt's public identifier (the revocation list names receipts by it): the first 16
    bytes of the SHA-256 of its signature, hex."""
    return hashlib.sha256(unb64u(signature_b64)).hexdigest()[:32]


@dataclass(frozen=True)
class PublicKey:
    kid: str
    key: Ed25519PublicKey
    not_before: dt.datetime | None
    not_after: dt.datetime | None

    def covers(self, at: dt.datetime) -> bool:
        return (self.not_before is None or at >= self.not_before) and (
            self.not_after is None or at <= self.not_after
        )


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def load_keys(document: dict) -> dict[str, PublicKey]:
    """The keys of a published keys document ({"keys": [{"kid", "alg", "public_key",
    "not_before", "not_after"}, …]})."""
    keys = {}
    for entry in document.get("keys", []):
        if entry.get("alg") != "Ed25519":
            continue
        keys[entry["kid"]] = PublicKey(
            entry["kid"],
            Ed25519PublicKey.from_public_bytes(unb64u(entry["public_key"])),
            _time(entry.get("not_before")),
            _time(entry.get("not_after")),
        )
    return keys


@dataclass(frozen=True)
class Verdict:
    status: str  # valid | invalid | revoked | unknown key
    reason: str
    fields: dict

    @property
    def ok(self) -> bool:
        return self.status == VALID


def _check_signature(signed: bytes, kid: str, sig: str, at, keys) -> str | None:
    """None when the signature holds; the reason otherwise."""
    key = keys.get(kid)
    if key is None:
        return UNKNOWN_KEY
    if at is not None and not key.covers(at):
        return f"key {kid} was not valid at {at:%Y-%m-%d %H:%M:%S} UTC"
    try:
        key.key.verify(unb64u(sig), signed)
    except (InvalidSignature, ValueError):
        return "the signature does not match the content (changed, or another key)"
    return None


def parse_receipt(text: str) -> dict | None:
    parts = text.strip().split("|")
    if len(parts) != RECEIPT_FIELDS or parts[0] != RECEIPT:
        return None
    names = ("format", "eata_id", "carnet_number", "kind", "country", "office", "time")
    fields = dict(zip(names, parts, strict=False))
    fields.update(lines=parts[7], verification_code=parts[8], kid=parts[9], signature=parts[10])
    return fields


def parse_statement(text: str) -> dict | None:
    parts = text.strip().split("|")
    if len(parts) != STATEMENT_FIELDS or parts[0] != STATEMENT:
        return None
    names = ("format", "eata_id", "carnet_number", "time", "transactions", "digest", "kid")
    fields = dict(zip(names, parts, strict=False))
    fields["signature"] = parts[7]
    return fields


def verify(text: str, keys: dict[str, PublicKey], revoked: set[str] | None = None) -> Verdict:
    """Verify a receipt's or a statement's QR text with the published keys (and, for a
    receipt, a revocation list already checked with `load_revocations`)."""
    text = text.strip()
    fields = parse_receipt(text) or parse_statement(text)
    if fields is None:
        return Verdict(INVALID, "not an eATA receipt or statement QR text", {})
    try:
        at = dt.datetime.strptime(fields["time"], TIME_FORMAT)
    except ValueError:
        return Verdict(INVALID, "the time is not readable", fields)
    signed = text.rpartition("|")[0].encode()
    problem = _check_signature(signed, fields["kid"], fields["signature"], at, keys)
    if problem == UNKNOWN_KEY:
        return Verdict(UNKNOWN_KEY, f"no published key {fields['kid']!r}", fields)
    if problem:
        return Verdict(INVALID, problem, fields)
    if fields["format"] == RECEIPT and revoked and receipt_id(fields["signature"]) in revoked:
        return Verdict(REVOKED, "this transaction was cancelled", fields)
    return Verdict(VALID, "signed by eATA key " + fields["kid"], fields)


def verify_document(document: dict, keys: dict[str, PublicKey]) -> str | None:
    """A signed JSON document (revocation list, audit checkpoint): None when its "signature"
    ("<kid>.<base64url>") holds over the canonical JSON of the rest; the reason otherwise."""
    signature = document.get("signature") or ""
    kid, _, sig = signature.partition(".")
    body = {k: v for k, v in document.items() if k != "signature"}
    problem = _check_signature(canonical_json(body), kid, sig, _time(body.get("issued_at")), keys)
    return (
        None
        if problem is None
        else (f"no published key {kid!r}" if problem == UNKNOWN_KEY else problem)
    )


def load_revocations(document: dict, keys: dict[str, PublicKey]) -> set[str]:
    """The receipt ids of a signed revocation list; refuses a list whose signature fails."""
    problem = verify_document(document, keys)
    if problem:
        raise ValueError(f"revocation list refused: {problem}")
    return {entry["receipt"] for entry in document.get("revoked", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an eATA receipt or statement offline.")
    parser.add_argument("--keys", required=True, help="the published keys document (JSON)")
    parser.add_argument("--revocations", help="the published revocation list (JSON)")
    parser.add_argument("subject", help="the QR text, or a file holding it")
    args = parser.parse_args(argv)
    with open(args.keys, encoding="utf-8") as fh:
        keys = load_keys(json.load(fh))
    revoked: set[str] = set()
    if args.revocations:
        with open(args.revocations, encoding="utf-8") as fh:
            revoked = load_revocations(json.load(fh), keys)
    text = args.subject
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as fh:
            text = fh.read()
    verdict = verify(text, keys, revoked)
    print(f"{verdict.status.upper()}: {verdict.reason}")
    for name in ("carnet_number", "eata_id", "kind", "office", "country", "time", "lines"):
        if name in verdict.fields:
            print(f"  {name}: {verdict.fields[name]}")
    if not args.revocations and verdict.ok:
        print("  (no revocation list given: a cancellation is not checked)")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
