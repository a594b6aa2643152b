"""The scheduler entry (`flask --app wsgi jobs scheduler`): enqueues the named daily jobs at
their UTC time (05:00 by default) and the periodic ones (outbox drain, stale-job reaper).

rq 2.x has no built-in cron, so this is a small loop. Each daily run is claimed in Redis with
SET NX on "eata:daily:<name>:<date>", so several schedulers (or a restart) enqueue it once per
day; a scheduler started after the hour catches up at once. Without Redis the jobs run inline.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Daily:
    name: str
    func: Callable
    at: dt.time


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable
    every: dt.timedelta


DAILY: dict[str, Daily] = {}
PERIODIC: dict[str, Periodic] = {}


def daily(name: str, hour: int = 5, minute: int = 0):
    """Register `func` to be enqueued once a day at hour:minute UTC (e.g. reconciliation)."""

    def decorate(func: Callable) -> Callable:
        DAILY[name] = Daily(name, func, dt.time(hour, minute))
        return func

    return decorate


def periodic(name: str, seconds: int):
    def decorate(func: Callable) -> Callable:
        PERIODIC[name] = Periodic(name, func, dt.timedelta(seconds=seconds))
        return func

    return decorate


def register_builtin() -> None:
    from jobs import monitoring, tasks

    daily("jobs.cleanup")(tasks.cleanup)
    daily("monitoring.reconciliation", hour=5)(monitoring.daily_reconciliation)
    daily("monitoring.archive", hour=4)(monitoring.daily_archive)  # docs/monitoring.md
    periodic("outbox.drain", 60)(tasks.drain_outbox)
    periodic("jobs.fail_stale", 300)(tasks.fail_stale_jobs)
    periodic("jobs.requeue_waiting", 60)(tasks.requeue_waiting_jobs)
    periodic("audit.checkpoint", 3600)(tasks.audit_checkpoint)  # docs/evidence.md


class Scheduler:
    def __init__(self, app, clock: Callable[[], dt.datetime] | None = None):
        self.app = app
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
        self.last_periodic: dict[str, dt.datetime] = {}
        self.local_claims: set[str] = set()

    def _claim(self, key: str) -> bool:
        if self.app.config.get("REDIS_URL"):
            from jobs.runtime import redis_connection

            return bool(redis_connection(self.app).set(key, "1", nx=True, ex=3 * 86400))
        if key in self.local_claims:
            return False
        self.local_claims.add(key)
        return True

    def tick(self) -> list[str]:
        """Enqueue what is due now; returns the names enqueued."""
        from jobs.runtime import enqueue

        now = self.clock()
        started = []
        for job in DAILY.values():
            due = dt.datetime.combine(now.date(), job.at)
            if now >= due and self._claim(f"eata:daily:{job.name}:{now.date().isoformat()}"):
                enqueue(job.func)
                started.append(job.name)
        for job in PERIODIC.values():
            last = self.last_periodic.get(job.name)
            if last is None or now - last >= job.every:
                self.last_periodic[job.name] = now
                enqueue(job.func)
                started.append(job.name)
        if started:
            log.info("scheduler enqueued: %s", ", ".join(started))
        return started

    def run(self, interval: float = 20.0, ticks: int | None = None) -> None:
        n = 0
        while ticks is None or n < ticks:
            with self.app.app_context():
                try:
                    self.tick()
                except Exception:  # keep scheduling whatever one job does
                    log.exception("scheduler tick failed")
            n += 1
            if ticks is None or n < ticks:
                time.sleep(interval)
