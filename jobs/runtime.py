"""The machinery shared by every task: the @task declaration, the enqueue helper, the app and
database session of a job, and the runner that keeps the job row truthful."""

from __future__ import annotations

import contextvars
import errno
import inspect
import logging
import os
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager, nullcontext

from flask import Flask, current_app, has_app_context
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

_app: Flask | None = None
_engine_pid: dict[int, int] = {}


def task(
    queue: str = "default",
    timeout: int = 600,
    retry: tuple[int, list[int]] | None = None,
    result_ttl: int = 3600,
):
    """Declare a task's queue, time limit and retries beside its definition (redash's @job).
    `retry` is (max retries, [intervals in seconds]). A task whose one parameter is `job_id`
    runs a job row a user waits for: it waits for the queue when Redis is unreachable."""

    def decorate(func: Callable) -> Callable:
        func.tracked = list(inspect.signature(func).parameters) == ["job_id"]
        func.queue = queue
        func.timeout = timeout
        func.retry = retry
        func.result_ttl = result_ttl
        return func

    return decorate


def get_app() -> Flask:
    """The current app inside a request/CLI/test; otherwise one built by create_app()."""
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session():
    """An app context and a database session of the job's own (never the request's)."""
    app = get_app()
    # reuse the current context: pushing a nested one would run the app's teardown on exit
    # and remove the scoped session of the request that ran this job inline
    with nullcontext() if has_app_context() else app.app_context():
        from portal.extensions import db

        engine = db.engine
        pid = os.getpid()
        # a forked RQ work horse must not reuse the parent's pooled connections
        if _engine_pid.setdefault(id(engine), pid) != pid:
            engine.dispose(close=False)
            _engine_pid[id(engine)] = pid
        with db.new_session() as session:
            yield session


# the result files the running job asked for: removed when the job fails (a half-written file
# neither stays on a full disk nor looks like a result)
_result_files: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "eata_result_files", default=None
)


def storage_path(relative: str) -> str:
    """Absolute path of a result file under STORAGE_DIR (its folder created)."""
    root = os.path.realpath(get_app().config["STORAGE_DIR"])
    path = os.path.realpath(os.path.join(root, relative))
    if not path.startswith(root + os.sep):
        raise ValueError("result files stay under STORAGE_DIR")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files = _result_files.get()
    if files is not None:
        files.append(path)
    return path


DISK_FULL = _l(
    "The storage folder is full: the result file could not be written. Nothing was changed; "
    "free some space (or ask the administrator to) and start it again."
)


def _disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _remove_result_files(paths: list[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


def redis_connection(app: Flask | None = None):
    import redis

    app = app or get_app()
    conn = app.extensions.get("eata_redis")
    if conn is None:
        conn = redis.Redis.from_url(app.config["REDIS_URL"])
        app.extensions["eata_redis"] = conn
    return conn


def queue(name: str, app: Flask | None = None):
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


def enqueue(func: Callable, *args, **kwargs):
    """Run `func(*args)` in the background: on RQ when REDIS_URL is set, otherwise inline right
    now in its own session (the embedded default). Call it after committing whatever the job
    reads. Returns the RQ job, or None when run inline."""
    app = get_app()
    if app.config.get("JOBS_INLINE", True) or not app.config.get("REDIS_URL"):
        try:
            func(*args, **kwargs)
        except Exception:  # the job row already says 'failed'; the request goes on
            log.exception("inline job %s failed", func.__name__)
        return None
    from redis.exceptions import RedisError
    from rq import Retry

    retry = None
    if getattr(func, "retry", None):
        max_retries, intervals = func.retry
        retry = Retry(max=max_retries, interval=intervals)
    try:
        return queue(getattr(func, "queue", "default"), app).enqueue(
            func,
            *args,
            job_timeout=getattr(func, "timeout", 600),
            retry=retry,
            result_ttl=getattr(func, "result_ttl", 3600),
            failure_ttl=7 * 86400,
            **kwargs,
        )
    except RedisError:
        # Redis is unreachable: what the request committed stands. A tracked job (its first
        # argument is the job row's id) waits, marked, for requeue_waiting_jobs; an untracked
        # one (an outbox drain) is done by the scheduler's next periodic run.
        log.warning("job queue unreachable: %s not queued now", func.__name__)
        if getattr(func, "tracked", False) and args and not kwargs:
            _mark_waiting(args[0], f"{func.__module__}:{func.__name__}")
        return None


WAITING_MESSAGE = _l("Waiting: the job queue is unreachable; the job starts when it is back.")


def _mark_waiting(job_id: int, task_path: str) -> None:
    from portal.domain import jobs as domain_jobs

    with job_session() as session:
        domain_jobs.mark_waiting(session, job_id, task_path, str(WAITING_MESSAGE))
        session.commit()


def requeue_waiting(limit: int = 500) -> int:
    """Queue the jobs asked for while Redis was unreachable (scheduler, every minute). A job
    that still cannot be queued stays waiting; run_tracked runs each job row at most once."""
    import importlib

    from portal.domain import jobs as domain_jobs

    with job_session() as session:
        waiting = domain_jobs.waiting_jobs(session, limit)
    queued = 0
    for job_id, task_path in waiting:
        module, name = task_path.split(":")
        func = getattr(importlib.import_module(module), name)
        with job_session() as session:
            domain_jobs.clear_waiting(session, job_id)
            session.commit()
        if enqueue(func, job_id) is not None or get_app().config.get("JOBS_INLINE", True):
            queued += 1
    return queued


def _retries_left() -> int:
    try:
        from rq import get_current_job

        rq_job = get_current_job()
    except Exception:  # noqa: BLE001 — not under RQ
        return 0
    if rq_job is None:
        return 0
    return rq_job.retries_left or 0


def job_language(session, job) -> str:
    """The language of the account that asked for the job (portal.i18n.language_of)."""
    from portal.i18n import language_of
    from portal.models import Account, CustomsAdministration

    account = session.get(Account, job.account_id) if job.account_id else None
    tenant = session.get(CustomsAdministration, job.customs_id) if job.customs_id else None
    return language_of(account, tenant)


def run_tracked(job_id: int, work: Callable, on_failure: Callable | None = None) -> None:
    """Run `work(session, job, progress)` for the job row `job_id`; it returns (result dict,
    message) or (result, message, result file path relative to STORAGE_DIR).

    Idempotent: a job already done or failed is not run again. On success the job is marked
    done in the same commit as the work's changes (`work` returns (result, message)). On any
    error the work is rolled back and the job marked failed (or queued again when RQ will
    retry), `on_failure(session, job_id)` runs, and the error is re-raised for RQ.
    """
    from portal.domain import jobs as domain_jobs
    from portal.i18n import with_locale

    with job_session() as session:
        job = domain_jobs.start_job(session, job_id)
        if job is None:
            session.rollback()
            return
        try:
            from rq import get_current_job

            rq_job = get_current_job()
            if rq_job is not None:
                job.rq_id = rq_job.id
        except Exception:  # noqa: BLE001
            pass
        session.commit()
        # the job's messages and files are written in the language of whoever asked for it
        with with_locale(job_language(session, job)):
            progress = ProgressReporter(job_id, session.get_bind().dialect.name)
            files: list[str] = []
            token = _result_files.set(files)
            try:
                outcome = work(session, job, progress)
                result, message = outcome[0], outcome[1]
                result_path = outcome[2] if len(outcome) > 2 else None
                domain_jobs.finish_job(
                    session, job_id, result=result, message=message, result_path=result_path
                )
                session.commit()
            except BaseException as exc:
                session.rollback()
                _remove_result_files(files)
                # a full disk does not empty itself within a retry's minute: fail now, visibly
                full = _disk_full(exc)
                retrying = _retries_left() > 0 and isinstance(exc, Exception) and not full
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                domain_jobs.fail_job(
                    session,
                    job_id,
                    error,
                    retrying=retrying,
                    message=str(DISK_FULL) if full else None,
                )
                if on_failure is not None and not retrying:
                    on_failure(session, job_id)
                session.commit()
                raise
            finally:
                _result_files.reset(token)


class ProgressReporter:
    """Writes progress to the job row through a session of its own, so a page polling the job
    sees it while the work's transaction is still open. On SQLite a second writer would wait
    for the work's write lock (or break its snapshot), so there only the start and the end are
    recorded — the embedded default runs jobs inline anyway."""

    def __init__(self, job_id: int, dialect: str, every: int = 200):
        self.job_id = job_id
        self.enabled = dialect != "sqlite"
        self.every = every
        self._last = -1

    def __call__(
        self, done: int, total: int, message: str | None = None, force: bool = False
    ) -> None:
        if not self.enabled:
            return
        if not force and self._last >= 0 and done - self._last < self.every and done != total:
            return
        self._last = done
        from portal.domain import jobs as domain_jobs
        from portal.extensions import db

        with db.new_session() as s:
            domain_jobs.record_progress(s, self.job_id, done, total, message)
            s.commit()


class OutboxPump:
    """Without Redis (JOBS_INLINE), the outbox sends itself: one daemon thread per process,
    started by the first request (never by a CLI command), drains the outbox right after each
    commit of this process and every OUTBOX_DRAIN_SECONDS (retries, messages of other
    processes). A message is claimed before it is sent (portal.domain.outbox.claim_due), so
    several threads or processes never send it twice; one left unsent by a crash is sent by the
    next pass, so none is lost. With Redis, the scheduler's drain job does this instead.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._draining = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self.passes = 0  # drains run by this pump

    @property
    def enabled(self) -> bool:
        cfg = self.app.config
        return bool(cfg.get("OUTBOX_AUTODRAIN")) and bool(cfg.get("JOBS_INLINE", True))

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def start(self) -> None:
        """Start the thread in this process (a forked worker starts its own)."""
        with self._state:
            if self.running() or not self.enabled:
                return
            self._stopping = False
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="eata-outbox", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """After a commit: drain now (ignored for the pump's own commits)."""
        if self.running() and threading.current_thread() is not self._thread:
            self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        with self._state:
            self._stopping = True
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)
        self._thread = None

    def settle(self, timeout: float = 30.0, passes: int = 0) -> bool:
        """Wait until at least `passes` drains ran and no drain is asked for or running
        (tests); False on timeout."""
        with self._state:
            return self._state.wait_for(
                lambda: self.passes >= passes and not self._draining and not self._wake.is_set(),
                timeout,
            )

    def _run(self) -> None:
        from jobs.tasks import drain_outbox

        while True:
            self._wake.wait(self.app.config.get("OUTBOX_DRAIN_SECONDS", 60))
            with self._state:
                if self._stopping:
                    self._state.notify_all()
                    return
                self._draining = True
                self._wake.clear()
            try:
                with self.app.app_context():
                    drain_outbox()
            except Exception:  # noqa: BLE001 — the next pass tries again
                log.exception("outbox drain failed")
            finally:
                with self._state:
                    self._draining = False
                    self.passes += 1
                    self._state.notify_all()


def install_outbox_pump(app: Flask) -> OutboxPump:
    """Called by the app factory: the pump starts with the first request and is woken by every
    commit of the app's engine (a PostgreSQL batch writes outbox rows past the ORM, so the
    commit, not the INSERT, is the signal; a pass with nothing due is one indexed query)."""
    from sqlalchemy import event

    from portal.extensions import db

    pump = OutboxPump(app)
    app.extensions["outbox_pump"] = pump
    event.listen(db.engine, "commit", lambda _conn: pump.wake())
    app.before_request(pump.start)
    return pump
