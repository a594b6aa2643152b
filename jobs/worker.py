"""The worker entry (`flask --app wsgi jobs worker`): an RQ worker booted through create_app,
listening on the configured queues (JOBS_QUEUES, default "high,default,low")."""

from __future__ import annotations

DEFAULT_QUEUES = "high,default,low"


def queue_names(app) -> list[str]:
    return [
        q.strip() for q in (app.config.get("JOBS_QUEUES") or DEFAULT_QUEUES).split(",") if q.strip()
    ]


def run_worker(
    app, burst: bool = False, simple: bool = False, names: list[str] | None = None
) -> bool:
    """Work the queues until stopped (or until empty with `burst`). `simple` runs jobs in this
    process (rq.SimpleWorker) instead of a forked work horse: tests and platforms without fork."""
    from rq import SimpleWorker, Worker

    from jobs.runtime import queue, redis_connection

    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: jobs run inline, there is nothing to work.")
    queues = [queue(n, app) for n in (names or queue_names(app))]
    cls = SimpleWorker if simple else Worker
    worker = cls(queues, connection=redis_connection(app))
    # the RQ scheduler thread moves retries with a delay back onto their queue
    return worker.work(burst=burst, with_scheduler=not burst)
