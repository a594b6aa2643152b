"""Password and secret hashing with argon2id (F-10, R-10)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id baseline (m=19 MiB, t=2, p=1); the fast profile is for tests only.
_STRONG = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_hasher = _STRONG


def use_fast_hashing(fast: bool) -> None:
    global _hasher
    _hasher = _FAST if fast else _STRONG


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    if not stored_hash:
        # spend the same time as a real check so timing does not reveal unknown accounts
        try:
            _hasher.verify(_dummy(), secret + "x")
        except VerificationError:
            pass
        return False
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


_dummy_cache: dict[int, str] = {}


def _dummy() -> str:
    key = id(_hasher)
    if key not in _dummy_cache:
        _dummy_cache[key] = _hasher.hash("dummy-password-for-timing")
    return _dummy_cache[key]
