"""The reliability suite: real processes (gunicorn, RQ worker, scheduler) against a PostgreSQL,
a Redis and an SMTP server of its own, so killing or restarting them disturbs nothing else.

Every process is started in a process group of its own and torn down by the session
fixtures (SIGTERM, then SIGKILL), also when a test fails; PostgreSQL is stopped with
`pg_ctl stop -m immediate` and its folder removed. Ports are free ports asked from the kernel.

Run with `pytest -m reliability tests/reliability` (the default run deselects the marker).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from tests.reliability.procs import Postgres, Redis, SmtpServer, Stack

REDIS_DOWN_SECONDS = float(os.environ.get("EATA_RELIABILITY_REDIS_DOWN", "20"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability: fault tests with real processes (make test-reliability)"
    )


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="eata-reliability-")
    os.chmod(path, 0o755)
    yield path
    keep = os.environ.get("EATA_RELIABILITY_LOGS")  # copy the processes' logs there (CI)
    if keep:
        shutil.copytree(os.path.join(path, "logs"), keep, dirs_exist_ok=True)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg(workdir):
    server = Postgres(os.path.join(workdir, "pg"))
    atexit.register(server.stop)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(workdir):
    server = Redis(os.path.join(workdir, "redis"))
    atexit.register(server.stop)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(workdir, pg, redis_server, smtp):
    """The database migrated with the demo world, then gunicorn, one RQ worker, the scheduler."""
    s = Stack(workdir, pg, redis_server, smtp)
    atexit.register(s.stop)
    try:
        s.prepare()
        s.start_all()
        yield s
    finally:
        s.stop()


@pytest.fixture
def healthy(stack):
    """Every process of the stack up before and after a test (a test may kill some)."""
    stack.ensure_up()
    yield stack
    stack.ensure_up()


@pytest.fixture(scope="session")
def world(stack):
    """The engine's test world (demo administrations, a Swiss NGA, a holder) in the suite's
    database; its session stays open for arranging data."""
    from portal.extensions import db
    from tests.support.factory import make_world

    with db.new_session() as s:
        yield make_world(s)
