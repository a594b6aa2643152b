"""The registry of per-process caches.

Reference data and other rows read on every request are kept per process (the administration
behind a host, office → territory, decrypted general lists, issuer names…). Each cache registers
the function that empties it here, so one call empties them all: the test suite after each test
(it removes rows behind the ORM's back), and an operator command that changes reference data.
"""

from __future__ import annotations

from collections.abc import Callable

_CLEARERS: dict[str, Callable[[], None]] = {}


def register(name: str, clear: Callable[[], None] | None = None):
    """Record `clear` as the way to empty the cache `name`. As a decorator: `@register("x")`."""
    if clear is None:
        return lambda fn: register(name, fn)
    _CLEARERS[name] = clear
    return clear


def clear_all() -> None:
    for clear in list(_CLEARERS.values()):
        clear()


def registered() -> list[str]:
    return sorted(_CLEARERS)
