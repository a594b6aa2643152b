"""The deployment's Ed25519 signing keys (receipts, statements, revocation lists, audit
checkpoints — docs/evidence.md).

Keys come from the environment like the data keys (config SIGNING_KEYS, EATA_SIGNING_KEYS):

    kid:<base64 32-byte private seed>[:<not before>[:<not after>]] , …
    kid:pub=<base64 32-byte public key>:<not before>:<not after>   (a retired key)

dates as YYYY-MM-DD (UTC). The first entry with a private seed signs; every entry is published
(with its validity) so that what older keys signed keeps verifying after a rotation. In
development an empty setting gives one key derived from SECRET_KEY (kid "dev1"); production
refuses to start without EATA_SIGNING_KEYS.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portal.domain import evidence_verify as ev

_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
DEV_KID = "dev1"


class SigningKeyError(Exception):
    """A signing key is missing or malformed."""


@dataclass(frozen=True)
class Key:
    kid: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None
    not_before: dt.date | None
    not_after: dt.date | None

    def public_b64(self) -> str:
        return ev.b64u(self.public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _raw32(kid: str, text: str) -> bytes:
    try:
        std = text.strip().replace("-", "+").replace("_", "/")
        raw = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningKeyError(f"signing key {kid!r} is not base64") from exc
    if len(raw) != 32:
        raise SigningKeyError(f"signing key {kid!r} must be 32 bytes (Ed25519), got {len(raw)}")
    return raw


def _date(kid: str, text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SigningKeyError(f"signing key {kid!r}: {text!r} is not a date (YYYY-MM-DD)") from exc


class Keyring:
    def __init__(self, spec: str):
        self.keys: dict[str, Key] = {}
        self.signer: Key | None = None
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, material, *dates = part.split(":")
            if not _KID.match(kid) or not material or len(dates) > 2:
                raise SigningKeyError(f"signing key {kid!r}: expected kid:base64key[:from[:until]]")
            if kid in self.keys:
                raise SigningKeyError(f"signing key {kid!r} is listed twice")
            not_before, not_after = (_date(kid, d) for d in [*dates, "", ""][:2])
            if material.startswith("pub="):
                private = None
                public = Ed25519PublicKey.from_public_bytes(_raw32(kid, material[4:]))
            else:
                private = Ed25519PrivateKey.from_private_bytes(_raw32(kid, material))
                public = private.public_key()
            key = Key(kid, public, private, not_before, not_after)
            self.keys[kid] = key
            if self.signer is None and private is not None:
                self.signer = key
        if self.signer is None:
            raise SigningKeyError("no signing key with a private key configured")

    def sign(self, data: bytes) -> tuple[str, str]:
        """(kid, base64url signature) with the signing key."""
        assert self.signer is not None and self.signer.private is not None
        return self.signer.kid, ev.b64u(self.signer.private.sign(data))

    def published(self) -> dict:
        """The public keys document (/.well-known/eata-receipt-keys.json, GET /v1/receipt-keys)."""

        def bound(d: dt.date | None, end: bool) -> str | None:
            if d is None:
                return None
            return f"{d.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"

        return {
            "issuer": "eATA",
            "signing_kid": self.signer.kid if self.signer else None,
            "keys": [
                {
                    "kid": k.kid,
                    "alg": "Ed25519",
                    "public_key": k.public_b64(),
                    "not_before": bound(k.not_before, False),
                    "not_after": bound(k.not_after, True),
                    "status": "signing" if k is self.signer else "verify-only",
                }
                for k in self.keys.values()
            ],
        }

    def verifier_keys(self) -> dict[str, ev.PublicKey]:
        return ev.load_keys(self.published())


_keyring: Keyring | None = None


def dev_spec(secret_key: str) -> str:
    """The development key, derived from SECRET_KEY (like the development lookup key)."""
    seed = hashlib.sha256(("eata-signing:" + secret_key).encode()).digest()
    return f"{DEV_KID}:{base64.urlsafe_b64encode(seed).decode()}"


def configure(spec: str, fallback_secret: str = "") -> Keyring:
    global _keyring
    _keyring = Keyring(spec or dev_spec(fallback_secret))
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("signing.configure() was not called")
    return _keyring


def new_key_spec(kid: str, not_before: dt.date | None = None) -> str:
    """A fresh entry for EATA_SIGNING_KEYS (`flask receipts new-key`)."""
    if not _KID.match(kid):
        raise SigningKeyError("a key id is 1-16 letters, digits, - or _")
    seed = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return f"{kid}:{seed}" + (f":{not_before.isoformat()}" if not_before else "")
