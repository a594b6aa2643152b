"""The pool pings a connection only after it sat idle (no round trip per busy request), and a
connection broken while idle is replaced at checkout instead of failing the request."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import text

db_module = importlib.import_module("portal.db")  # the module (portal.db is also the Database)


def _break_pooled_connection(engine) -> None:
    """Check a connection in, then close its DBAPI connection behind the pool's back (what a
    database restart does to an idle connection)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        raw = conn.connection.dbapi_connection
    raw.close()


def test_f10_idle_connection_broken_in_the_pool_is_replaced(app, monkeypatch):
    engine = db_module.make_engine(app.config["DATABASE_URL"])
    try:
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
        _break_pooled_connection(engine)
        with engine.connect() as conn:  # pinged, found broken, replaced
            assert conn.execute(text("SELECT 1")).scalar() == 1
        # without the ping (a connection used seconds ago) the broken one is handed out
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 3600.0)
        _break_pooled_connection(engine)
        with pytest.raises(Exception), engine.connect() as conn:  # noqa: B017
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
