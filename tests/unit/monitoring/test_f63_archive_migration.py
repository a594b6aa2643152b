"""The archive's migration (0020) applies on a database holding data of the previous head: the
holder notifications and pre-declarations it rebuilds without their foreign key to the live
transactions keep every row, the carnets get `archived_at` empty, and the archive works on
the upgraded data (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from portal.extensions import db
from portal.migrate import alembic_config, upgrade
from portal.models import Carnet, HolderNotification, Predeclaration
from tests.support.archive import age, closed_carnet, in_use, run_archive
from tests.support.monitoring import reconcile
from tests.support.predeclarations import ready_import, send

REVISION = "0020"


def _rows(session) -> tuple:
    return (
        sorted(
            (n.id, n.transaction_id, n.kind) for n in session.scalars(select(HolderNotification))
        ),
        sorted((p.id, p.state) for p in session.scalars(select(Predeclaration))),
    )


def test_f63_archive_migration_upgrades_a_populated_database(world, app):
    carnet, _ids, _c = closed_carnet(world)
    carnet_id = carnet.id
    _c2, _t, v = ready_import(world)
    send(world, v)
    expected = _rows(world.session)
    assert expected[0] and expected[1]
    world.session.close()
    db.session.remove()

    url = app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    previous = ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision
    command.downgrade(cfg, previous)
    try:
        tables = inspect(db.engine).get_table_names()
        assert "carnet_transaction_archive" not in tables
        assert "archived_at" not in {c["name"] for c in inspect(db.engine).get_columns("carnet")}
    finally:
        db.engine.dispose()
        upgrade(url)
    with db.new_session() as session:
        assert _rows(session) == expected
        assert (
            session.scalar(
                select(func.count()).select_from(Carnet).where(Carnet.archived_at.is_not(None))
            )
            == 0
        )
    # the world's officers were detached when its session closed for the migration
    for officer in (*world.officers.values(), *world.others.values()):
        world.session.add(officer.account)
        world.session.add(officer.office)
    world.session.expire_all()
    in_use(world)
    age(world, world.session.get(Carnet, carnet_id))
    reconcile(world)
    assert run_archive(world).carnets == 1


def test_f63_archive_downgrade_refused_while_carnets_are_archived(world, app):
    """Archived transactions are committed records: a downgrade below 0020 (which drops the
    archive tables) is refused while any carnet is archived, and nothing is lost."""
    carnet, _ids, _c = closed_carnet(world)
    carnet_id = carnet.id
    in_use(world)
    age(world, world.session.get(Carnet, carnet_id))
    reconcile(world)
    assert run_archive(world).carnets == 1
    world.session.close()
    db.session.remove()

    url = app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    previous = ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision
    counted = "SELECT count(*) FROM carnet_transaction_archive"
    with db.engine.connect() as conn:
        archived_rows = conn.execute(text(counted)).scalar()
    assert archived_rows
    try:
        command.downgrade(cfg, REVISION)  # what comes after 0020 first
        with pytest.raises(RuntimeError, match="archived"):
            command.downgrade(cfg, previous)
        with db.engine.connect() as conn:
            assert conn.execute(text(counted)).scalar() == archived_rows
            assert (
                conn.execute(
                    text("SELECT count(*) FROM carnet WHERE archived_at IS NOT NULL")
                ).scalar()
                == 1
            )
    finally:
        db.engine.dispose()
        upgrade(url)
