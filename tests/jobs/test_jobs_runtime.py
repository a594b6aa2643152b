"""The job infrastructure (DESIGN "Jobs"): inline without Redis, RQ with it — the same tests."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from jobs import enqueue, task
from jobs.runtime import run_tracked
from jobs.testing import run_queued_jobs
from portal.domain import jobs as domain_jobs
from portal.models.jobs import Job


@task(queue="default", timeout=60)
def count_to(job_id: int) -> None:
    """A tracked job for these tests: counts the job's params['n'] and reports it."""

    def work(session, job, progress):
        n = job.params["n"]
        for i in range(n):
            progress(i + 1, n)
        return {"counted": n}, f"Counted to {n}."

    run_tracked(job_id, work)


@task(queue="default", timeout=60)
def always_fails(job_id: int) -> None:
    def work(session, job, progress):
        raise ValueError("the data is not what it should be")

    run_tracked(job_id, work)


def _new_job(session, kind="test", **params) -> int:
    job = domain_jobs.create_job(session, kind, params=params)
    session.commit()
    return job.id


def _job(session, job_id) -> Job:
    session.expire_all()
    return session.get(Job, job_id)


def test_job_runs_inline_without_redis_and_on_a_real_rq_worker_with_it(app, session):
    job_id = _new_job(session, n=3)
    with app.app_context():
        rq_job = enqueue(count_to, job_id)
    if app.config["REDIS_URL"]:
        assert rq_job is not None and rq_job.get_status() == "queued"
        assert _job(session, job_id).status == "queued"
        assert run_queued_jobs(app) is True
        assert _job(session, job_id).rq_id == rq_job.id
    else:
        assert rq_job is None
        assert run_queued_jobs(app) is False
    job = _job(session, job_id)
    assert (job.status, job.result, job.message) == ("done", {"counted": 3}, "Counted to 3.")
    assert job.started_at <= job.finished_at and job.percent == 100 and job.attempts == 1


def test_a_failing_job_reaches_the_failed_state_with_its_error(app, session):
    job_id = _new_job(session)
    with app.app_context():
        enqueue(always_fails, job_id)
    run_queued_jobs(app)
    job = _job(session, job_id)
    assert job.status == "failed" and job.finished_at is not None
    assert "the data is not what it should be" in job.error


def test_a_job_is_not_run_twice(app, session):
    job_id = _new_job(session, n=2)
    with app.app_context():
        count_to(job_id)
        first = _job(session, job_id).finished_at
        count_to(job_id)  # a replay (RQ retry, double enqueue) finds it done
    job = _job(session, job_id)
    assert job.attempts == 1 and job.finished_at == first


def test_tasks_declare_queue_timeout_and_retry():
    from jobs import tasks

    assert tasks.import_bulk_session.queue == "default"
    assert tasks.import_bulk_session.timeout == 1800 and tasks.import_bulk_session.retry[0] == 2
    assert tasks.drain_outbox.queue == "high"


def test_stale_running_jobs_are_failed_and_their_bulk_session_released(
    app, session, demo, account_of
):
    from jobs.tasks import fail_stale_jobs
    from portal.models.bulk import BulkSession

    admin = account_of("be", "admin")
    job_id = _new_job(session, kind="bulk_region_import")
    session.add(
        BulkSession(
            customs_id=admin.customs_id,
            account_id=admin.id,
            kind="region",
            status="importing",
            job_id=job_id,
        )
    )
    job = session.get(Job, job_id)
    job.status, job.started_at = "running", dt.datetime(2020, 1, 1)
    lost = _new_job(session)
    session.get(Job, lost).created_at = dt.datetime(2020, 1, 1)  # queued, never taken
    fresh = _new_job(session)
    session.get(Job, fresh).status = "running"
    session.get(Job, fresh).started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.commit()
    with app.app_context():
        assert fail_stale_jobs() == 2
    assert _job(session, job_id).status == "failed"
    assert "never started" in _job(session, lost).error
    assert _job(session, fresh).status == "running"
    assert session.scalar(select(BulkSession.status)) == "cleaning"


def test_bulk_import_failure_leaves_the_session_ready_to_import_again(
    app, session, demo, account_of, monkeypatch
):
    from jobs.tasks import import_bulk_session
    from portal.domain import bulk
    from portal.models.bulk import BulkSession

    admin = account_of("be", "admin")
    bs = BulkSession(
        customs_id=admin.customs_id,
        account_id=admin.id,
        kind="region",
        status="cleaning",
        row_count=1,
    )
    session.add(bs)
    session.commit()
    job = bulk.begin_import(session, bs, admin)
    session.commit()

    def boom(*a, **k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bulk, "import_session", boom)
    with app.app_context(), pytest.raises(RuntimeError):
        import_bulk_session(job.id)
    assert _job(session, job.id).status == "failed"
    session.expire_all()
    assert session.get(BulkSession, bs.id).status == "cleaning"


def test_daily_jobs_are_enqueued_at_five_utc_once_a_day(app, session):
    from jobs import scheduler

    scheduler.register_builtin()
    now = [dt.datetime(2031, 3, 4, 4, 59, 30)]
    s = scheduler.Scheduler(app, clock=lambda: now[0])
    with app.app_context():
        first = s.tick()
        assert "jobs.cleanup" not in first and "outbox.drain" in first
        now[0] = dt.datetime(2031, 3, 4, 5, 0)
        assert sorted(s.tick()) == ["jobs.cleanup", "monitoring.reconciliation"]
        now[0] = dt.datetime(2031, 3, 4, 5, 0, 20)
        assert s.tick() == []  # neither daily again nor periodic before its interval
        now[0] = dt.datetime(2031, 3, 5, 7, 0)  # a scheduler down at 05:00 catches up
        assert "jobs.cleanup" in s.tick()
        # a second scheduler (or a restart) does not enqueue the day's run again
        other = scheduler.Scheduler(app, clock=lambda: now[0])
        if app.config["REDIS_URL"]:
            assert "jobs.cleanup" not in other.tick()
    run_queued_jobs(app)


def test_cleanup_forgets_old_finished_jobs(app, session):
    from jobs.tasks import cleanup

    old = _new_job(session)
    recent = _new_job(session)
    session.get(Job, old).status = "done"
    session.get(Job, old).finished_at = dt.datetime(2020, 1, 1)
    session.commit()
    with app.app_context():
        assert cleanup()["jobs"] == 1
    assert session.scalar(select(func.count()).select_from(Job)) == 1
    assert _job(session, recent) is not None


def test_cli_scheduler_once_and_outbox_drain(app, session):
    from portal.domain import outbox

    outbox.add_email(session, "someone@example.org", "Hello", "Body")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "scheduler", "--once", "--interval", "0"])
    assert result.exit_code == 0, result.output
    assert "jobs.cleanup at 05:00 UTC" in result.output
    run_queued_jobs(app)
    result = runner.invoke(args=["outbox", "drain"])
    assert result.exit_code == 0 and "sent: 0" in result.output  # the scheduler's drain sent it


def test_an_inline_job_leaves_the_callers_session_alone(app, session):
    from portal.extensions import db

    job_id = _new_job(session, n=1)
    with app.test_request_context():
        before = db.session()
        enqueue(count_to, job_id)
        assert db.session() is before
    run_queued_jobs(app)


def test_r11_a_job_asked_for_while_redis_is_unreachable_waits_and_runs_once_when_it_is_back(
    app, session, monkeypatch
):
    """Redis down: the request that asked for the job does not fail, the job row says it waits
    for the queue, and the scheduler's requeue runs it once when Redis is back."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from jobs import runtime

    job_id = _new_job(session, n=2)

    def unreachable(*_a, **_k):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", app.config["REDIS_URL"] or "redis://127.0.0.1:1/0")
    monkeypatch.setattr(runtime, "queue", unreachable)
    with app.app_context():
        assert enqueue(count_to, job_id) is None
    job = _job(session, job_id)
    assert job.status == "queued" and job.message == runtime.WAITING_MESSAGE
    with app.app_context():  # still unreachable: it keeps waiting, nothing lost
        runtime.requeue_waiting()
    assert domain_jobs.waiting_jobs(session, 10) == [(job_id, f"{__name__}:count_to")]

    monkeypatch.undo()  # Redis is back (or, without Redis, jobs run inline again)
    with app.app_context():
        assert runtime.requeue_waiting() == 1
        assert runtime.requeue_waiting() == 0  # once
    run_queued_jobs(app)
    job = _job(session, job_id)
    assert job.status == "done" and job.result == {"counted": 2}
    assert domain_jobs.waiting_jobs(session, 10) == []


def test_r11_untracked_job_while_redis_is_unreachable_is_only_logged(app, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from jobs import runtime

    @task(queue="high")
    def drain(limit: int = 5) -> None:
        raise AssertionError("not run now")

    def unreachable(*_a, **_k):
        raise RedisConnectionError("refused")

    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(runtime, "queue", unreachable)
    assert drain.tracked is False and count_to.tracked is True
    with app.app_context():
        assert enqueue(drain, 5) is None
