"""Per-process caches of reference data the engine reads on every commit: an office's place
(administration, country, customs territory) and a country's customs territory.

Each entry is kept `REFDATA_TTL` seconds at most, so a change made by another process (an
operator's `flask refdata load`, an administration moving an office) shows there within that
time. In this process the caches are dropped at once when an Office, Country, CustomsTerritory
or CustomsAdministration row is inserted, updated or deleted through the ORM — at the flush,
and again when the writing transaction ends (a read of another session between the flush and
the commit may have cached the state before the change).

A cache joins with `@refdata_cache.invalidated_by_refdata` on its clearer (which is also
registered in `portal.caches`, so the tests empty it after each test).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from portal import caches
from portal.models import Country, CustomsAdministration, CustomsTerritory, Office

REFDATA_TTL = 60.0
_CLEARERS: dict[str, Callable[[], None]] = {}


def clock() -> float:
    """The clock the TTLs are measured on (monotonic; replaced in tests)."""
    return time.monotonic()


def expires_at() -> float:
    """The expiry of an entry cached now."""
    return clock() + REFDATA_TTL


def fresh(expiry: float) -> bool:
    return expiry > clock()


def invalidated_by_refdata(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Decorator: `clear` empties the cache `name`; it runs whenever reference data or offices
    change in this process, and it is registered in `portal.caches`."""

    def wrap(clear: Callable[[], None]) -> Callable[[], None]:
        _CLEARERS[name] = clear
        caches.register(name, clear)
        return clear

    return wrap


def forget_refdata() -> None:
    """Empty every reference-data cache of this process."""
    for clear in list(_CLEARERS.values()):
        clear()


def _refdata_changed(_mapper, _connection, target) -> None:
    forget_refdata()
    session = object_session(target)
    if session is not None:
        session.info["refdata_changed"] = True


for _model in (Office, Country, CustomsTerritory, CustomsAdministration):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _event, _refdata_changed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    if session.info.pop("refdata_changed", False):
        forget_refdata()
