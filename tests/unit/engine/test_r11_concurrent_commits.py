"""R-11 under real concurrency: 20 threads, each with its own session and connection, commit
the same voucher at once. PostgreSQL serialises them on the row locks (SELECT … FOR UPDATE);
SQLite on its single write lock (the commit's first statement is an UPDATE of the voucher)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.domain.transactions import Officer, commit_voucher
from portal.extensions import db as database
from portal.models import Account, Office, Transaction
from tests.support.factory import commit, issue, travel, voucher

THREADS = 20


def _race(world, voucher_id: int, token_for) -> list:
    officer = world.officer("fr")
    barrier = threading.Barrier(THREADS, timeout=60)
    results: list = [None] * THREADS

    def run(n: int) -> None:
        with database.new_session() as s:
            me = Officer(
                account=s.get(Account, officer.account.id), office=s.get(Office, officer.office.id)
            )
            s.commit()  # give the connection back: the pool has fewer than 20 on SQLite
            barrier.wait()
            try:
                r = commit_voucher(s, voucher_id, me, commit_token=token_for(n))
                s.commit()
                results[n] = r
            except Exception as exc:  # noqa: BLE001 — reported by the assertions
                s.rollback()
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _ready(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    return voucher(world, t, "import")


def _imports(world) -> int:
    world.session.expire_all()
    return world.session.scalar(
        select(func.count()).select_from(Transaction).where(Transaction.kind == "import")
    )


def test_r11_twenty_officers_commit_the_same_voucher_at_once(world):
    v = _ready(world)
    results = _race(world, v.id, lambda n: f"officer-{n}")
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == THREADS - 1
    assert all("already committed" in e.message for e in losses)
    assert _imports(world) == 1


def test_r11_twenty_replays_of_one_commit_token_give_one_transaction(world):
    v = _ready(world)
    results = _race(world, v.id, lambda n: "double-click")
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.transaction_id for r in results}) == 1
    assert len({r.verification_code for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert _imports(world) == 1


def test_r03_a_hold_committed_while_a_commit_waits_for_the_lock_refuses_it(world):
    """Officer A holds the carnet (its lock taken, not yet committed) while officer B commits a
    voucher of the same carnet: B waits for the lock, then must see the hold — its rule
    checks read the state after the wait, not the state when its statement started."""
    import time

    from portal.domain import DomainError
    from portal.domain.transactions import hold_carnet

    v = _ready(world)
    officer = world.officer("fr")
    started, result = threading.Event(), {}

    def officer_b() -> None:
        with database.new_session() as s:
            me = Officer(
                account=s.get(Account, officer.account.id), office=s.get(Office, officer.office.id)
            )
            s.commit()
            started.set()
            try:
                result["ok"] = commit_voucher(s, v.id, me, commit_token="b")
                s.commit()
            except DomainError as exc:
                s.rollback()
                result["error"] = exc

    with database.new_session() as a:
        me = Officer(
            account=a.get(Account, officer.account.id), office=a.get(Office, officer.office.id)
        )
        hold_carnet(a, v.id, me, "Goods to be examined")  # holds the carnet's lock
        thread = threading.Thread(target=officer_b)
        thread.start()
        started.wait(10)
        if a.get_bind().dialect.name == "postgresql":
            # until B is seen waiting for the carnet's row lock
            from sqlalchemy import text

            for _ in range(200):
                with database.new_session() as probe:
                    if probe.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                            "'Lock' AND datname = current_database()"
                        )
                    ):
                        break
                time.sleep(0.05)
            else:
                raise AssertionError("officer B never waited for the lock")
        else:
            time.sleep(0.5)  # SQLite: B waits for the database's write lock
        a.commit()
    thread.join(60)
    assert "ok" not in result, "committed despite the hold"
    assert result["error"].code == "on_hold"
    assert _imports(world) == 0
