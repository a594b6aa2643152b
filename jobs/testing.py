"""For tests: work whatever the code under test enqueued, the way production would.

With REDIS_URL set, an rq.SimpleWorker in burst mode runs the queued jobs in this process on the
test's Redis database; without it, jobs already ran inline when they were enqueued.
"""

from __future__ import annotations


def run_queued_jobs(app) -> bool:
    """Returns True when a worker ran (RQ mode), False in inline mode."""
    if app.config.get("JOBS_INLINE", True) or not app.config.get("REDIS_URL"):
        return False
    from jobs.worker import run_worker

    with app.app_context():
        run_worker(app, burst=True, simple=True)
    return True
