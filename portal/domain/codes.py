"""Random codes and tokens, and their keyed hashes (R-10).

Codes are generated with `secrets`; only an HMAC-SHA256 under the lookup key is stored, so a
stolen database does not reveal a usable token, and lookups stay an indexed equality match.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# no 0/O, 1/I/L, 5/S, 2/Z, 8/B: easy to read out and type at a counter
TYPABLE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"

_lookup_key: bytes = b""


def configure(lookup_key: str, fallback_secret: str) -> None:
    """Set the HMAC key (EATA_LOOKUP_KEY; in development derived from SECRET_KEY)."""
    global _lookup_key
    source = lookup_key or ("derived:" + fallback_secret)
    _lookup_key = hashlib.sha256(source.encode()).digest()


def keyed_hash(value: str) -> str:
    if not _lookup_key:
        raise RuntimeError("codes.configure() was not called")
    return hmac.new(_lookup_key, value.encode(), hashlib.sha256).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_typable_code(length: int = 13) -> str:
    """13 characters of a 25-letter alphabet: 60.4 bits. One draw of a uniform integer below
    25**length, written in base 25 (the same distribution as drawing each letter)."""
    n = secrets.randbelow(len(TYPABLE_ALPHABET) ** length)
    out = []
    for _ in range(length):
        n, d = divmod(n, len(TYPABLE_ALPHABET))
        out.append(TYPABLE_ALPHABET[d])
    return "".join(out)


def new_digits(length: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
