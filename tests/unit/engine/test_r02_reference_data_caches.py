"""R-02 (the place of a transaction) reads reference data cached per process: an office's
place (administration, country, customs territory) and a country's territory. A change made in
this process is seen at once; one made by another process within REFDATA_TTL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portal import caches
from portal.domain import refdata_cache
from portal.domain.rules import territory_of
from portal.domain.transactions import place_of
from portal.models import Country, CustomsTerritory


def _territory(session, code: str) -> int:
    return session.scalar(select(CustomsTerritory.id).where(CustomsTerritory.code == code))


@pytest.fixture
def belgium_back_in_the_eu(session):
    """Reference data is not truncated between tests: put Belgium back in the EU."""
    yield
    session.rollback()
    eu = _territory(session, "EU")
    session.connection().execute(
        update(Country.__table__).where(Country.__table__.c.code == "BE").values(territory_id=eu)
    )
    session.commit()


def test_r02_the_engine_caches_are_registered():
    assert {"engine_places", "engine_territories"} <= set(caches.registered())


def test_r02_an_office_moved_to_another_territory_is_seen_at_once(world):
    s, officer = world.session, world.officer("be")
    eu, ch = _territory(s, "EU"), _territory(s, "CH")
    assert place_of(s, officer).territory_id == eu
    officer.office.country_code = "CH"
    s.commit()
    place = place_of(s, officer)
    assert (place.territory_id, place.country_code, place.territory_code) == (ch, "CH", "CH")


def test_r02_a_country_moved_to_another_territory_is_seen_at_once(world, belgium_back_in_the_eu):
    """`refdata load` (or any write of reference data through the ORM) in this process drops
    the cached places and territories."""
    s, officer = world.session, world.officer("be")
    eu, ch = _territory(s, "EU"), _territory(s, "CH")
    assert place_of(s, officer).territory_id == eu
    assert territory_of(s, "BE") == eu
    s.get(Country, "BE").territory_id = ch
    s.commit()
    assert place_of(s, officer).territory_id == ch
    assert territory_of(s, "BE") == ch


def test_r02_a_change_by_another_process_is_seen_within_the_ttl(
    world, monkeypatch, belgium_back_in_the_eu
):
    s, officer = world.session, world.officer("be")
    eu, ch = _territory(s, "EU"), _territory(s, "CH")
    now = [1000.0]
    monkeypatch.setattr(refdata_cache, "clock", lambda: now[0])
    assert place_of(s, officer).territory_id == eu
    assert territory_of(s, "BE") == eu
    # another process's write: no ORM event here
    s.connection().execute(
        update(Country.__table__).where(Country.__table__.c.code == "BE").values(territory_id=ch)
    )
    s.commit()
    now[0] += refdata_cache.REFDATA_TTL - 1
    assert place_of(s, officer).territory_id == eu
    now[0] += 2
    assert place_of(s, officer).territory_id == ch
    assert territory_of(s, "BE") == ch
