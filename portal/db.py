"""The declarative Base and the session.

One session per request (removed at app-context teardown) and one per job or CLI command.
Domain functions take the session as an argument so they run the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.sql import Executable

# the largest id the databases hold (the id columns are INTEGER: 32 bits on PostgreSQL, which
# refuses a larger parameter with an error): a larger number typed in a URL, filter, form or
# API body is an id that exists nowhere, not a query to run
MAX_ID = 2**31 - 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def now_utc() -> dt.datetime:
    """Naive UTC: the database stores UTC without zone on both SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed. A conditional UPDATE …
    WHERE (still unused, still pending) is how two concurrent requests produce one success."""
    # an UPDATE/DELETE answers a CursorResult; Session.execute is typed as the general Result
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


PING_AFTER_IDLE = 10.0  # seconds


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return ping_when_idle(engine)
    return ping_when_idle(create_engine(url, pool_size=10, max_overflow=20))


def ping_when_idle(engine: Engine) -> Engine:
    """Pessimistic disconnect handling, only for a connection that sat idle in the pool for
    PING_AFTER_IDLE seconds: a busy worker does not pay a round trip per request (as with
    pool_pre_ping); a connection broken while idle (database restart, network) is replaced at
    checkout; one broken within the last seconds fails that one request."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
            dbapi_conn.rollback()
        except Exception as exc:  # noqa: BLE001 — whatever failed: take a new connection
            raise DisconnectionError() from exc

    return engine


class Database:
    """Holds the engine and the request-scoped session of one application."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        self.session: scoped_session[Session] | None = None

    def init_app(self, app) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self.factory)
        app.extensions["eata_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    @contextmanager
    def new_session(self) -> Iterator[Session]:
        """A session of its own, for jobs, CLI commands and threads."""
        session = self.factory()
        try:
            yield session
        finally:
            session.close()

    @property
    def is_postgres(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "postgresql"
