"""Shared fixtures: the app (migrated once per run), clients per host, demo tenants, login, and
the engine's `world` (builders in tests/support/factory.py).

The suite runs on SQLite by default and on PostgreSQL + Redis when DATABASE_URL / REDIS_URL are
set (CI does both). The schema is built once per run by the Alembic migrations; after each test
every table but the reference data is emptied, so tests that commit from threads, jobs or a
live server see the same clean database as the others.
"""

from __future__ import annotations

import os
import time

import email_validator
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.db import Base
from portal.extensions import db as database
from portal.extensions import limiter

REFERENCE_TABLES = {"country", "currency", "customs_territory", "alembic_version"}
DOMAIN = "eata.test"
# the suite's people have addresses in the reserved domain .test (RFC 2606), which the one email
# check (portal/domain/values.py) refuses as undeliverable outside email_validator's test mode
email_validator.TEST_ENVIRONMENT = True


def _database_url(tmp_dir: str) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_dir}/test.db"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp_dir = str(tmp_path_factory.mktemp("eata"))
    url = _database_url(tmp_dir)
    if url.startswith("postgresql"):
        _reset_postgres(url)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "JOBS_INLINE": not redis_url,
            "EATA_DOMAIN": DOMAIN,
            "INSTANCE_DIR": tmp_dir,
            "STORAGE_DIR": os.path.join(tmp_dir, "storage"),
            "MAIL_OUTBOX_DIR": os.path.join(tmp_dir, "mail"),
            "MAIL_SERVER": "",
            "PASSWORD_HASH_FAST": True,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        }
    )
    from portal.domain.refdata import load_reference_data
    from portal.migrate import upgrade

    upgrade(url)
    with database.new_session() as session:
        load_reference_data(session)
        session.commit()
    yield app
    database.engine.dispose()


def _truncate_all(attempts: int = 5) -> None:
    """Empty every table but the reference data. A browser test's live server may still be
    answering the page's last request (a poll) while the TRUNCATE takes its locks: PostgreSQL
    then breaks the deadlock by failing one of the two — when it is the TRUNCATE, try again."""
    for attempt in range(attempts):
        try:
            return _truncate_once()
        except OperationalError as exc:
            if "deadlock" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _truncate_once() -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "TRUNCATE "
                    + ", ".join(f'"{t.name}"' for t in tables)
                    + " RESTART IDENTITY CASCADE"
                )
            )
        else:
            for t in tables:
                conn.execute(t.delete())


def _forget_process_caches() -> None:
    """Per-process caches of rows the truncation removed behind the ORM's back: every cache
    registered in portal.caches."""
    from portal import caches

    caches.clear_all()


@pytest.fixture(autouse=True)
def _clean_state(request):
    yield
    if "app" in request.fixturenames:
        database.session.remove()
        _truncate_all()
        _forget_process_caches()
        limiter.reset()
        import shutil

        mail_dir = request.getfixturevalue("app").config["MAIL_OUTBOX_DIR"]
        shutil.rmtree(mail_dir, ignore_errors=True)


@pytest.fixture
def ata_statuses(app):
    """Tests that change countries' ATA statuses (reference data, kept between tests) get them
    back as loaded afterwards."""
    from portal.models import Country

    with database.new_session() as s:
        saved = {
            c.code: (c.ata_status, c.digital_from, c.provisional_from, c.status_notified_on)
            for c in s.scalars(select(Country))
        }
    yield
    with database.new_session() as s:
        for c in s.scalars(select(Country)):
            c.ata_status, c.digital_from, c.provisional_from, c.status_notified_on = saved[c.code]
        s.commit()


@pytest.fixture
def session(app):
    """A database session of its own for arranging and checking test data."""
    with database.new_session() as s:
        yield s


def host(kind: str, code: str | None = None) -> str:
    label = f"customs-{code}" if kind == "customs" else kind
    return f"http://{label}.{DOMAIN}"


class CsrfClient:
    """A test client bound to one host that sends the CSRF token like the pages and htmx do."""

    def __init__(self, app, base_url: str):
        self.app = app
        self.base_url = base_url
        self.client = app.test_client()

    def csrf_token(self) -> str:
        with self.client.session_transaction(base_url=self.base_url) as sess:
            if "csrf_token" not in sess:
                import secrets

                sess["csrf_token"] = secrets.token_hex(20)
            raw = sess["csrf_token"]
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def get(self, path, **kw):
        return self.client.get(path, base_url=self.base_url, **kw)

    def post(self, path, data=None, csrf=True, headers=None, **kw):
        headers = dict(headers or {})
        if csrf:
            headers.setdefault("X-CSRFToken", self.csrf_token())
        return self.client.post(path, base_url=self.base_url, data=data, headers=headers, **kw)

    def request(self, method, path, **kw):
        return self.client.open(path, method=method, base_url=self.base_url, **kw)

    def session_transaction(self):
        return self.client.session_transaction(base_url=self.base_url)


@pytest.fixture
def client_for(app):
    """client_for("customs", "be") → a client on customs-be; client_for("api") → api host."""

    def make(kind: str, code: str | None = None) -> CsrfClient:
        return CsrfClient(app, host(kind, code))

    return make


@pytest.fixture
def demo(app, session):
    """The demo administrations BE, FR (EU territory) and CH with one account per role."""
    from portal.domain.demo import load_demo_data

    load_demo_data(session)
    session.commit()
    return session


@pytest.fixture
def account_of(demo):
    """account_of("be", "officer") → that demo account (an ORM object of the `demo` session)."""
    from sqlalchemy import select

    from portal.domain.demo import demo_email
    from portal.models import Account, CustomsAdministration

    def find(code: str, role: str) -> Account:
        return demo.scalar(
            select(Account)
            .join(CustomsAdministration, Account.customs_id == CustomsAdministration.id)
            .where(CustomsAdministration.code == code, Account.email == demo_email(code, role))
        )

    return find


@pytest.fixture
def login_as(app, client_for, account_of):
    """login_as("be", "admin") → a client on customs-be logged in as that demo account, through a
    real server-side session (MFA already passed)."""
    from portal.domain.sessions import open_session

    def login(code: str, role: str, account=None) -> CsrfClient:
        acc = account or account_of(code, role)
        client = client_for("customs", code)
        with database.new_session() as s:
            us = open_session(s, s.merge(acc))
            s.commit()
            sid = us.id
        with client.session_transaction() as sess:
            sess["_user_id"] = f"c:{sid}"
            sess["_fresh"] = True
        client.session_id = sid
        client.account = acc
        return client

    return login


@pytest.fixture
def world(app, session):
    """The engine's world built by tests.support.factory.make_world: the demo administrations
    (BE, FR in the EU; CH) with their officers, a Swiss NGA and a holder. Build carnets, travels
    and commits on it with the factory's issue(world, …), travel(world, …), commit(world, …)."""
    from tests.support.factory import make_world

    return make_world(session)


@pytest.fixture
def kit(world):
    """The factory's builders bound to the world: kit.issue(), kit.travel(), kit.voucher()…"""
    from tests.support.factory import Kit

    return Kit(world)
