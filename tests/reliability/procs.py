"""The processes of the reliability suite: a PostgreSQL (initdb into a temporary folder), a
Redis and an SMTP server of its own, and the application's gunicorn, RQ worker and scheduler.

Each runs in a process group of its own (start_new_session) and is stopped by its group id:
SIGTERM, then SIGKILL after a grace period. Also used by bench/soak.py.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "eata.test"
SECRET_KEY = "reliability-suite-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as e:  # noqa: BLE001 — kept for the message
            last = e
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready within {timeout:.0f} s (last error: {last!r})")


def stop_group(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL to what is left after `grace` seconds; the
    leader is reaped."""
    if proc is None:
        return
    try:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None and not _group_alive(proc.pid):
                return
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                proc.poll()
                if not _group_alive(proc.pid):
                    return
                time.sleep(0.1)
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # zombies still count for killpg: ask /proc
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found (install PostgreSQL's server package)")
    return path


class Postgres:
    """initdb into `folder` (as the `postgres` user when run as root: initdb refuses root),
    listening on 127.0.0.1:<free port> with trust authentication, its socket in the folder."""

    def __init__(self, folder: str):
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.port = free_port()
        self.started = False
        self._as = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/eata"

    def _run(self, *args, check=True):
        return subprocess.run([*self._as, *args], check=check, capture_output=True, text=True)

    def start(self) -> None:
        if not os.path.isdir(self.data):
            os.makedirs(self.folder, exist_ok=True)
            if self._as:
                user = pwd.getpwnam("postgres")
                os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._run(
                _pg_bin("initdb"),
                "-D",
                self.data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            )
            self.started = True
            self.pg_ctl_start()
            self._run(
                _pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "eata",
            )
        else:
            self.pg_ctl_start()

    def pg_ctl_start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c shared_buffers=32MB"
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            self.data,
            "-l",
            os.path.join(self.folder, "log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started = True

    def restart(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")
        self.pg_ctl_start()

    def stop(self) -> None:
        if self.started and os.path.isdir(self.data):
            self._run(
                _pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop", check=False
            )
            self.started = False


# --- Redis --------------------------------------------------------------------------------------


class Redis:
    def __init__(self, folder: str):
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        os.makedirs(self.folder, exist_ok=True)
        self.proc = subprocess.Popen(  # noqa: S603
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.folder,
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        wait_for(lambda: redis.Redis(port=self.port).ping(), 20, "redis-server")

    def stop(self, save: bool = False) -> None:
        """Stop the server; with `save`, as a Redis with persistence would (its data is back
        when it starts again)."""
        if save and self.proc is not None:
            import redis

            try:
                redis.Redis(port=self.port).shutdown(save=True)
            except redis.RedisError:
                pass
        stop_group(self.proc, grace=5)
        self.proc = None


# --- SMTP ---------------------------------------------------------------------------------------


class SmtpServer:
    """aiosmtpd on a free port; `messages` collects (recipients, subject) of what arrived.
    stop() / start() simulate an outage (connections refused on the same port)."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[tuple[tuple[str, ...], str]] = []
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, srv, session, envelope):  # noqa: N802 — aiosmtpd's name
                from email import message_from_bytes

                msg = message_from_bytes(envelope.content)
                with server.lock:
                    server.messages.append((tuple(envelope.rcpt_tos), str(msg["Subject"])))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def received(self) -> list[tuple[tuple[str, ...], str]]:
        with self.lock:
            return list(self.messages)


# --- the application ----------------------------------------------------------------------------


class Stack:
    """The application as production runs it: gunicorn (2 workers × 4 threads here: the machine
    is shared), one RQ worker, the scheduler; plus an app object in this process for arranging
    data and checking rows (same database, same keys)."""

    def __init__(
        self,
        workdir: str,
        pg: Postgres,
        redis_server: Redis,
        smtp: SmtpServer,
        workers: int = 2,
        threads: int = 4,
    ):
        self.workdir, self.pg, self.redis, self.smtp = workdir, pg, redis_server, smtp
        self.instance = os.path.join(workdir, "instance")
        self.storage = os.path.join(self.instance, "storage")
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.scheduler: subprocess.Popen | None = None
        self.app = None
        self._ctx = None
        self.logs = os.path.join(workdir, "logs")
        os.makedirs(self.logs, exist_ok=True)

    @property
    def env(self) -> dict:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("EATA_", "DATABASE_", "REDIS_", "MAIL_", "RATELIMIT_"))
        }
        return {
            **keep,
            "EATA_ENV": "development",
            "EATA_DOMAIN": DOMAIN,
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "EATA_INSTANCE_DIR": self.instance,
            "EATA_STORAGE_DIR": self.storage,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp.port),
            "RATELIMIT_ENABLED": os.environ.get("EATA_RELIABILITY_RATELIMIT", "1"),
            "PYTHONPATH": ROOT,
            "PYTHONUNBUFFERED": "1",
        }

    def base(self, host: str) -> tuple[str, dict]:
        return f"http://127.0.0.1:{self.port}", {"Host": host}

    # --- arranging ---
    def prepare(self) -> None:
        from portal import create_app
        from portal.domain.refdata import load_reference_data
        from portal.extensions import db
        from portal.migrate import upgrade

        os.makedirs(self.storage, exist_ok=True)
        env = self.env
        self.app = create_app(
            {
                "DATABASE_URL": env["DATABASE_URL"],
                "REDIS_URL": env["REDIS_URL"],
                "JOBS_INLINE": False,
                "EATA_DOMAIN": DOMAIN,
                "SECRET_KEY": SECRET_KEY,
                "INSTANCE_DIR": self.instance,
                "STORAGE_DIR": self.storage,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": self.smtp.port,
                "RATELIMIT_STORAGE_URI": env["REDIS_URL"],
            }
        )
        self._ctx = self.app.app_context()
        self._ctx.push()
        upgrade(self.pg.url)
        with db.new_session() as s:
            load_reference_data(s)
            s.commit()

    def dispose(self) -> None:
        """Drop this process's pooled connections (after a database restart)."""
        from portal.extensions import db

        db.engine.dispose()

    # --- processes ---
    def _popen(self, name: str, cmd: list[str]) -> subprocess.Popen:
        with open(os.path.join(self.logs, f"{name}.log"), "ab") as log:
            return subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )

    def start_gunicorn(self) -> None:
        self.gunicorn = self._popen(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--keep-alive",
                "5",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "-b",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ],
        )
        wait_for(
            lambda: (
                requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
            ),
            60,
            "gunicorn",
        )
        wait_for(lambda: len(self.gunicorn_workers()) >= self.workers, 30, "gunicorn workers")

    def gunicorn_workers(self) -> list[int]:
        return children_of(self.gunicorn.pid) if self.gunicorn else []

    def start_worker(self) -> None:
        self.worker = self._popen(
            "worker", [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]
        )

    def spawn_worker(self, name: str) -> subprocess.Popen:
        """One more RQ worker (the caller stops it with stop_group)."""
        return self._popen(name, [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"])

    def start_scheduler(self) -> None:
        self.scheduler = self._popen(
            "scheduler", [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "scheduler"]
        )

    def start_all(self) -> None:
        self.start_gunicorn()
        self.start_worker()
        self.start_scheduler()

    def ensure_up(self) -> None:
        if self.redis.proc is None or self.redis.proc.poll() is not None:
            self.redis.start()
        if self.smtp.controller is None:
            self.smtp.start()
        for name in ("gunicorn", "worker", "scheduler"):
            proc = getattr(self, name)
            if proc is None or proc.poll() is not None:
                stop_group(proc)
                getattr(self, f"start_{name}")()

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        for name in ("scheduler", "worker", "gunicorn"):
            stop_group(getattr(self, name))
            setattr(self, name, None)
        if self._ctx is not None:
            try:
                self.dispose()
            finally:
                self._ctx.pop()
                self._ctx = None


def low_queue_idle() -> bool:
    """Nothing queued or running on the "low" queue, and the scheduler claimed every daily job
    due by now (its catch-up run at the stack's start is over). Before a daily job's hour
    (05:00 UTC for the reconciliation) there is nothing of it to wait for."""
    import datetime as dt

    from rq.registry import StartedJobRegistry

    from jobs import scheduler
    from jobs.runtime import queue, redis_connection

    if not scheduler.DAILY:
        scheduler.register_builtin()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    due = [
        f"eata:daily:{job.name}:{now.date().isoformat()}"
        for job in scheduler.DAILY.values()
        if now >= dt.datetime.combine(now.date(), job.at)
    ]
    claimed = all(redis_connection().exists(key) for key in due)
    low = queue("low")
    return claimed and len(low) == 0 and StartedJobRegistry(queue=low).count == 0
