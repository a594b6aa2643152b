"""Encryption at rest of carnet contents (F-26): AES-256-GCM with rotating keys.

Keys come from the environment (config DATA_KEYS = "kid:base64key,kid:base64key…"): the first
key encrypts, every listed key decrypts, so a new key is put first and the old one kept until
`flask keys rotate` has re-encrypted everything. Each ciphertext carries its key id:

    <kid>.<base64url(nonce ‖ ciphertext ‖ tag)>

The associated data binds a ciphertext to its row and field (e.g. "carnet:123456789:holder"),
so a value copied into another row or column fails to decrypt instead of being shown there.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class DataKeyError(Exception):
    """A data key is missing, malformed, or a ciphertext does not authenticate."""


class Keyring:
    def __init__(self, spec: str):
        self.keys: dict[str, AESGCM] = {}
        self.primary: str = ""
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not _KID.match(kid):
                raise DataKeyError(f"data key {kid!r}: expected kid:base64key")
            try:
                std = b64.strip().replace("-", "+").replace("_", "/")
                raw = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise DataKeyError(f"data key {kid!r} is not base64") from exc
            if len(raw) != 32:
                raise DataKeyError(f"data key {kid!r} must be 32 bytes (AES-256), got {len(raw)}")
            if kid in self.keys:
                raise DataKeyError(f"data key {kid!r} is listed twice")
            self.keys[kid] = AESGCM(raw)
            self.primary = self.primary or kid
        if not self.primary:
            raise DataKeyError("no data key configured")

    def encrypt(self, plaintext: str, aad: str) -> str:
        nonce = os.urandom(12)
        ct = self.keys[self.primary].encrypt(nonce, plaintext.encode(), aad.encode())
        return f"{self.primary}.{base64.urlsafe_b64encode(nonce + ct).decode().rstrip('=')}"

    def decrypt(self, token: str, aad: str) -> str:
        kid, _, b64 = token.partition(".")
        key = self.keys.get(kid)
        if key is None:
            raise DataKeyError(f"ciphertext under unknown data key {kid!r}")
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        try:
            return key.decrypt(raw[:12], raw[12:], aad.encode()).decode()
        except InvalidTag as exc:
            raise DataKeyError("ciphertext does not authenticate (wrong key or row)") from exc

    def key_id_of(self, token: str) -> str:
        return token.partition(".")[0]


_keyring: Keyring | None = None


def configure(spec: str) -> Keyring:
    global _keyring
    _keyring = Keyring(spec)
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("crypto.configure() was not called")
    return _keyring


def encrypt(plaintext: str, aad: str) -> str:
    return keyring().encrypt(plaintext, aad)


def decrypt(token: str, aad: str) -> str:
    return keyring().decrypt(token, aad)


def encrypt_json(value, aad: str) -> str:
    return encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False), aad)


def decrypt_json(token: str, aad: str):
    return json.loads(decrypt(token, aad))


def new_key_spec(kid: str) -> str:
    """A fresh "kid:base64key" entry for DATA_KEYS (`flask keys new`)."""
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"
