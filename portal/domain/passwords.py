"""Password and secret hashing with argon2id (F-10, R-10)."""

from __future__ import annotations

import functools
import gzip
import os
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

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


# NIST SP 800-63B rev 4 / ASVS 5.0 V6: length is what counts, no composition rules, a blocklist.
MIN_LENGTH = 15
MIN_LENGTH_WITH_MFA = 8
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "data", "common-passwords.txt.gz"
)


def normalize_password(password: str) -> str:
    """NFKC, as NIST asks, so the same password typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 20,000 common passwords shipped by Django (portal/data; see docs/identity.md)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def password_problem(password: str, *, email: str = "", mfa_enabled: bool = False) -> str | None:
    """Why `password` may not be used, in the user's words; None when it is acceptable."""
    password = normalize_password(password)
    minimum = MIN_LENGTH_WITH_MFA if mfa_enabled else MIN_LENGTH
    if len(password) < minimum:
        if mfa_enabled:
            return _("Use at least %(count)s characters.", count=minimum)
        return _(
            "Use at least %(count)s characters (%(mfa)s once multifactor authentication is on).",
            count=minimum,
            mfa=MIN_LENGTH_WITH_MFA,
        )
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)s characters.", count=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return _("This password is too common: it is on a list of passwords attackers try first.")
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 3 and local_part in lowered:
        return _("The password must not contain your email name.")
    return None
