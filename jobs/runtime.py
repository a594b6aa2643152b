"""The machinery shared by every task: the @task declaration, the enqueue helper, the app and
database session of a job, and the runner that keeps the job row truthful."""
from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

_app: Flask | None = None
_engine_pid: dict[int, int] = {}


def task(queue: str = "default", timeout: int = 600, retry: tuple[int, list[int]] | None = None,
         result_ttl: int = 3600):
    """Declare a task's queue, time limit and retries beside its definition (redash's @job).
    `retry` is (max retries, [intervals in seconds])."""

    def decorate(func: Callable) -> Callable:
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
    with app.app_context():
        from portal.extensions import db

        engine = db.engine
        pid = os.getpid()
        # a forked RQ work horse must not reuse the parent's pooled connections
        if _engine_pid.setdefault(id(engine), pid) != pid:
            engine.dispose(close=False)
            _engine_pid[id(engine)] = pid
        with db.new_session() as session:
            yield session


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
    from rq import Retry

    retry = None
    if getattr(func, "retry", None):
        max_retries, intervals = func.retry
        retry = Retry(max=max_retries, interval=intervals)
    return queue(getattr(func, "queue", "default"), app).enqueue(
        func, *args, job_timeout=getattr(func, "timeout", 600), retry=retry,
        result_ttl=getattr(func, "result_ttl", 3600), failure_ttl=7 * 86400, **kwargs,
    )


def _retries_left() -> int:
    try:
        from rq import get_current_job

        rq_job = get_current_job()
    except Exception:  # noqa: BLE001 — not under RQ
        return 0
    if rq_job is None:
        return 0
    return rq_job.retries_left or 0


def run_tracked(job_id: int, work: Callable, on_failure: Callable | None = None) -> None:
    """Run `work(session, job, progress)` for the job row `job_id`.

    Idempotent: a job already done or failed is not run again. On success the job is marked
    done in the same commit as the work's changes (`work` returns (result, message)). On any
    error the work is rolled back and the job marked failed (or queued again when RQ will
    retry), `on_failure(session, job_id)` runs, and the error is re-raised for RQ.
    """
    from portal.domain import jobs as domain_jobs

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
        progress = ProgressReporter(job_id, session.get_bind().dialect.name)
        try:
            result, message = work(session, job, progress)
            domain_jobs.finish_job(session, job_id, result=result, message=message)
            session.commit()
        except BaseException as exc:
            session.rollback()
            retrying = _retries_left() > 0 and isinstance(exc, Exception)
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            domain_jobs.fail_job(session, job_id, error, retrying=retrying)
            if on_failure is not None and not retrying:
                on_failure(session, job_id)
            session.commit()
            raise


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

    def __call__(self, done: int, total: int, message: str | None = None,
                 force: bool = False) -> None:
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
