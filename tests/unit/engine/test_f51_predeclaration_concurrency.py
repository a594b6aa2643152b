"""F-51 under real concurrency: each thread has its own session and connection, and they act
on one pre-declaration at once. The row lock (SELECT … FOR UPDATE on PostgreSQL, the write lock
of an UPDATE on SQLite) gives exactly one outcome; every other thread is refused with what
happened."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.domain import DomainError
from portal.domain import predeclarations as pd
from portal.domain.transactions import Officer
from portal.extensions import db as database
from portal.models import Account, Holder, Office, Predeclaration, Transaction
from tests.support.predeclarations import ready_import, send


def _race(actions) -> list:
    """Run each `action(session)` in its own thread at once; returns results or exceptions."""
    barrier = threading.Barrier(len(actions), timeout=60)
    results: list = [None] * len(actions)

    def run(n: int) -> None:
        with database.new_session() as s:
            act = actions[n](s)
            s.commit()  # give the connection back while waiting at the barrier
            barrier.wait()
            try:
                results[n] = act()
                s.commit()
            except Exception as exc:  # noqa: BLE001 — reported by the assertions
                s.rollback()
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _officer(world, s, cc="fr") -> Officer:
    o = world.officer(cc)
    return Officer(account=s.get(Account, o.account.id), office=s.get(Office, o.office.id))


def _commit(world, pid, token):
    def prepare(s):
        me = _officer(world, s)
        return lambda: pd.commit(s, pid, me, commit_token=token)

    return prepare


def _withdraw(world, pid):
    def prepare(s):
        holder = s.get(Holder, world.holder.id)
        return lambda: pd.withdraw(s, holder, pid)

    return prepare


def _state(world, pid) -> str:
    world.session.expire_all()
    return world.session.get(Predeclaration, pid).state


def _imports(world, voucher_id) -> int:
    return world.session.scalar(
        select(func.count()).select_from(Transaction).where(Transaction.voucher_id == voucher_id)
    )


def test_f51_officer_commits_while_the_holder_withdraws_one_outcome(world):
    for n in range(3):
        _, _, v = ready_import(world)
        p = send(world, v)
        results = _race([_commit(world, p.id, f"from-list-{n}"), _withdraw(world, p.id)])
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), results
        state = _state(world, p.id)
        if isinstance(results[0], Exception):  # the holder won
            assert state == "withdrawn" and "withdrawn by the holder" in errors[0].message
            assert _imports(world, v.id) == 0
        else:  # the officer won
            assert state == "committed" and "already committed" in errors[0].message
            assert _imports(world, v.id) == 1


def test_f51_two_officers_act_at_once_one_outcome(world):
    _, _, v = ready_import(world)
    p = send(world, v)

    def reject(s):
        me = _officer(world, s)
        return lambda: pd.reject(s, p.id, me, "Inspection")

    results = _race([_commit(world, p.id, "a"), _commit(world, p.id, "b"), reject])
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert all(isinstance(r, DomainError) for r in results if isinstance(r, Exception))
    assert _state(world, p.id) in ("committed", "rejected")
    assert _imports(world, v.id) == (1 if _state(world, p.id) == "committed" else 0)


def test_f50_two_sends_for_one_voucher_at_once_store_one(world):
    from tests.support.predeclarations import form

    _, _, v = ready_import(world)
    office_id = world.officer("fr").office.id

    def sender(s):
        holder = s.get(Holder, world.holder.id)
        office = s.get(Office, office_id)
        return lambda: pd.send(s, holder, v.id, form(office))

    results = _race([sender, sender, sender])
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    world.session.expire_all()
    assert (
        world.session.scalar(
            select(func.count())
            .select_from(Predeclaration)
            .where(Predeclaration.voucher_id == v.id)
        )
        == 1
    )


def _commit_with_code(world, voucher_id, token):
    """The wizard (or the API) committing the voucher with its code, not the pre-declaration."""

    def prepare(s):
        me = _officer(world, s)
        return lambda: pd.commit_closing_open(s, voucher_id, me, commit_token=token)

    return prepare


def test_f51_wizard_commit_with_the_code_while_the_holder_withdraws_one_outcome(world):
    """The voucher is committed either way (its code needs no pre-declaration); the
    pre-declaration ends committed with the transaction's id (the holder's withdrawal refused)
    or withdrawn without one — never open after the commit, never both."""
    for n in range(3):
        _, _, v = ready_import(world)
        p = send(world, v)
        results = _race([_commit_with_code(world, v.id, f"code-{n}"), _withdraw(world, p.id)])
        assert not isinstance(results[0], Exception), results
        assert _imports(world, v.id) == 1
        world.session.expire_all()
        closed = world.session.get(Predeclaration, p.id)
        if isinstance(results[1], Exception):  # the commit came first: it closed it
            assert "already committed" in results[1].message
            assert closed.state == "committed" and closed.transaction_id is not None
        else:  # the withdrawal came first: nothing left open to close
            assert closed.state == "withdrawn" and closed.transaction_id is None


def test_f51_commit_from_the_list_and_with_the_code_at_once_one_transaction(world):
    """Two officers, one from the list (pre-declaration first, then the carnet), one with the
    code (the open pre-declaration first too): the same lock order, no deadlock, one commit."""
    for n in range(3):
        _, _, v = ready_import(world)
        p = send(world, v)
        results = _race(
            [_commit(world, p.id, f"list-{n}"), _commit_with_code(world, v.id, f"desk-{n}")]
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), results
        assert "already committed" in errors[0].message
        assert _imports(world, v.id) == 1 and _state(world, p.id) == "committed"
