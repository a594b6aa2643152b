"""R-11, the clock: the daily job (05:00 UTC) missed while the scheduler was down runs once
when a scheduler comes back — a new process, with nothing in memory — and not again that day
(with Redis the day's claim is shared by every scheduler; inline, by the one process); a day
of a daylight-saving change has exactly one run at 05:00 UTC (the schedule is in UTC, office
clocks do not move it)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from jobs import scheduler


@pytest.fixture
def one_daily_job(monkeypatch):
    """Only one daily job of this test's own name, no periodic ones (their runs are not what
    is counted here)."""
    name = f"test.daily.{secrets.token_hex(4)}"
    monkeypatch.setattr(scheduler, "DAILY", {})
    monkeypatch.setattr(scheduler, "PERIODIC", {})
    scheduler.daily(name, hour=5)(lambda: None)
    return name


def _ticks(app, clock_at, start: dt.datetime, end: dt.datetime, every: dt.timedelta, sched=None):
    """Tick a scheduler every `every` from start to end; returns (time, names) of each run."""
    now = [start]
    sched = sched or scheduler.Scheduler(app, clock=lambda: now[0])
    runs = []
    with app.app_context():
        while now[0] <= end:
            clock_at[0] = now[0]
            for name in sched.tick():
                runs.append((now[0], name))
            now[0] += every
    return sched, runs


def test_r11_daily_job_missed_while_the_scheduler_was_down_runs_once_on_return(app, one_daily_job):
    name = one_daily_job
    clock = [dt.datetime(2031, 3, 4, 4, 50)]
    # up until 04:59:40, then down: nothing ran
    _, before = _ticks(
        app, clock, clock[0], dt.datetime(2031, 3, 4, 4, 59, 40), dt.timedelta(seconds=20)
    )
    assert before == []
    # back at 07:13 (a new process): the day's run at once, then not again that day
    back = scheduler.Scheduler(app, clock=lambda: clock[0])
    _, after = _ticks(
        app,
        clock,
        dt.datetime(2031, 3, 4, 7, 13),
        dt.datetime(2031, 3, 4, 23, 59, 40),
        dt.timedelta(minutes=1),
        sched=back,
    )
    assert after == [(dt.datetime(2031, 3, 4, 7, 13), name)]
    if app.config["REDIS_URL"]:
        # with Redis, another restart (or a second scheduler) the same day does not run it
        clock[0] = dt.datetime(2031, 3, 4, 9, 0)
        with app.app_context():
            assert scheduler.Scheduler(app, clock=lambda: clock[0]).tick() == []
    # the next day it runs again, at 05:00
    _, next_day = _ticks(
        app,
        clock,
        dt.datetime(2031, 3, 5, 4, 0),
        dt.datetime(2031, 3, 5, 6, 0),
        dt.timedelta(minutes=1),
        sched=back,
    )
    assert next_day == [(dt.datetime(2031, 3, 5, 5, 0), name)]


@pytest.mark.parametrize(
    "day",
    [dt.date(2031, 3, 30), dt.date(2031, 10, 26)],  # Europe: summer time starts, ends (01:00 UTC)
    ids=["summer-time-starts", "summer-time-ends"],
)
def test_r11_a_dst_change_day_has_one_daily_run_at_five_utc(app, one_daily_job, day):
    name = one_daily_job
    start = dt.datetime.combine(day, dt.time(0, 0))
    clock = [start]
    _, runs = _ticks(
        app,
        clock,
        start,
        start + dt.timedelta(days=1, hours=6),
        dt.timedelta(minutes=5),
    )
    assert runs == [
        (dt.datetime.combine(day, dt.time(5, 0)), name),
        (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(5, 0)), name),
    ]
