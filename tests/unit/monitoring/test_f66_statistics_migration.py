"""F-66 at scale: the migration that adds the statistics' counts applies on a database holding
data of the previous head (transactions, a finished reconciliation run) and fills
`carnet_country_count` and `reconciliation_status_count` as of that run — the rows a run
writes — so the statistics page reads the same figures as one aggregate at once (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from portal.db import now_utc
from portal.domain import reconciliation as rec
from portal.domain import statistics
from portal.extensions import db
from portal.migrate import alembic_config, upgrade
from portal.models import Country
from portal.models.monitoring import CarnetCountryCount, ReconciliationStatusCount
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL

REVISION = "0021"


def _counts(session) -> tuple[dict, dict]:
    return (
        {
            (r.territory_id, r.country_code): r.carnets
            for r in session.scalars(select(CarnetCountryCount))
        },
        {
            (r.territory_id, r.status): r.carnets
            for r in session.scalars(select(ReconciliationStatusCount))
        },
    )


def test_f66_upgrade_from_the_previous_head_fills_the_counts(world, app):
    for valid_days in (30, 300):
        carnet = issue(world, items=20, valid_days=valid_days)
        out = travel(world, carnet, "CH", "DE", items=ALL)
        for kind, cc in (("validation", "ch"), ("export", "ch"), ("import", "fr")):
            commit(world, out, kind, cc)
    later = now_utc().date() + dt.timedelta(days=60)  # the first carnet has expired
    # a run dated after the commits: its counts (COUNT_LAG before its start) hold them all
    rec.run(world.session, full=True, today=later, now=now_utc() + 2 * rec.COUNT_LAG)
    world.session.commit()
    countries, statuses = _counts(world.session)
    assert sum(countries.values()) == 4 and sum(statuses.values()) == 4
    world.session.close()
    db.session.remove()

    url = app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    previous = ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision
    command.downgrade(cfg, previous)  # the database as the previous head left it, with data
    try:
        tables = inspect(db.engine).get_table_names()
        assert "carnet_country_count" not in tables
        assert "reconciliation_status_count" not in tables
    finally:
        db.engine.dispose()
        upgrade(url)
    with db.new_session() as session:
        assert _counts(session) == (countries, statuses)
        for cc in ("FR", "CH"):
            territory = session.get(Country, cc).territory_id
            assert statistics.issuing_countries(session, territory) == (
                statistics._live_countries(session, territory)
            )
            assert statistics.potential_claims(session, territory, later) == (
                statistics._live_claims(session, territory, later)
            )


def test_f66_upgrade_without_any_run_leaves_the_counts_empty(world, app):
    """No finished run: nothing to stand as of — the page counts live until the first run."""
    carnet = issue(world, items=20)
    out = travel(world, carnet, "CH", "DE", items=ALL)
    commit(world, out, "validation", "ch")
    world.session.close()
    db.session.remove()
    url = app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision)
    db.engine.dispose()
    upgrade(url)
    with db.new_session() as session:
        assert _counts(session) == ({}, {})
        ch = session.get(Country, "CH").territory_id
        assert statistics.issuing_countries(session, ch) == [("CH", 1)]
