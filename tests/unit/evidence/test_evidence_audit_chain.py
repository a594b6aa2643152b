"""The tamper-evident audit trail (docs/evidence.md): chained events per administration / NGA /
platform, `audit verify` naming the first broken link with its position, signed checkpoints,
and on PostgreSQL the triggers that refuse changes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.domain import audit, audit_chain
from portal.models import AuditChain, AuditCheckpoint, AuditEvent, Transaction
from tests.support.factory import commit, issue, travel
from tests.unit.evidence.conftest import bypass_triggers


def _events(session, n: int, customs_id=None, nga_id=None) -> None:
    for i in range(n):
        audit.record(
            session,
            "test.event",
            actor_type="system",
            customs_id=customs_id,
            nga_id=nga_id,
            object_type="thing",
            object_id=i,
            data={"n": i, "text": "é ü", "nested": {"b": [1, 2.5, None], "a": True}},
        )
    session.commit()


def _event_at(session, chain: str, seq: int) -> AuditEvent:
    return session.scalar(
        select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == seq)
    )


def test_evidence_every_way_of_writing_an_event_chains_it(world):
    s = world.session
    carnet = issue(world, items=2)  # ORM record (carnet issued: the NGA's chain)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")  # the engine's batch (queue)
    audit.insert(s, "test.core", actor_type="system")  # Core insert: the platform's chain
    s.commit()
    chains = {c.chain: c for c in s.scalars(select(AuditChain))}
    ch = world.officer("ch").account.customs_id
    assert f"customs:{ch}" in chains and "platform" in chains
    assert any(name.startswith("nga:") for name in chains)
    committed = s.scalar(select(AuditEvent).where(AuditEvent.action == "transaction.committed"))
    assert committed.chain == f"customs:{ch}" and committed.hash == audit_chain.event_hash(
        {k: getattr(committed, k) for k in audit_chain.HASHED}
    )
    report = audit_chain.verify(s)
    assert report.ok, [str(b) for b in report.breaks]
    assert report.events == s.scalar(select(func.count()).select_from(AuditEvent))
    for c in chains.values():  # each head is its chain's last event
        last = _event_at(s, c.chain, c.seq)
        assert last.hash == c.head_hash


def test_evidence_audit_verify_names_a_changed_row_with_its_position(world):
    s = world.session
    _events(s, 5, customs_id=world.officer("be").account.customs_id)
    chain = f"customs:{world.officer('be').account.customs_id}"
    bypass_triggers(s)
    s.execute(
        update(AuditEvent)
        .where(AuditEvent.chain == chain, AuditEvent.seq == 3)
        .values(actor_label="someone else")
    )
    s.commit()
    report = audit_chain.verify(s)
    assert len(report.breaks) == 1
    brk = report.breaks[0]
    assert (brk.chain, brk.position) == (chain, 3) and "changed" in brk.reason
    assert f"chain {chain}, position 3" in str(brk)


def test_evidence_audit_verify_finds_a_deleted_row_and_a_deleted_last_row(world):
    s = world.session
    be = world.officer("be").account.customs_id
    fr = world.officer("fr").account.customs_id
    _events(s, 4, customs_id=be)
    _events(s, 4, customs_id=fr)
    bypass_triggers(s)
    s.execute(delete(AuditEvent).where(AuditEvent.chain == f"customs:{be}", AuditEvent.seq == 2))
    s.execute(delete(AuditEvent).where(AuditEvent.chain == f"customs:{fr}", AuditEvent.seq == 4))
    s.commit()
    breaks = {b.chain: b for b in audit_chain.verify(s).breaks}
    assert breaks[f"customs:{be}"].position == 2 and "deleted" in breaks[f"customs:{be}"].reason
    assert breaks[f"customs:{fr}"].position == 4 and "deleted" in breaks[f"customs:{fr}"].reason


def test_evidence_signed_checkpoint_catches_a_consistently_rewritten_chain(world):
    """Someone with the database rewrites an event and recomputes every hash after it and the
    head: the chain is consistent again, but the signed checkpoint is not."""
    s = world.session
    be = world.officer("be").account.customs_id
    chain = f"customs:{be}"
    _events(s, 3, customs_id=be)
    assert audit_chain.checkpoint(s) is not None
    s.commit()
    assert audit_chain.checkpoint(s) is None  # nothing new: no second checkpoint
    bypass_triggers(s)
    prev = audit_chain.GENESIS
    for seq in (1, 2, 3):
        ev = _event_at(s, chain, seq)
        row = {k: getattr(ev, k) for k in audit_chain.HASHED}
        if seq == 2:
            row["actor_label"] = "rewritten"
        row["prev_hash"] = prev
        new_hash = audit_chain.event_hash(row)
        s.execute(
            update(AuditEvent)
            .where(AuditEvent.id == ev.id)
            .values(actor_label=row["actor_label"], prev_hash=prev, hash=new_hash)
        )
        prev = new_hash
    s.execute(update(AuditChain).where(AuditChain.chain == chain).values(head_hash=prev))
    s.commit()
    s.expire_all()
    breaks = audit_chain.verify(s).breaks
    # the checkpoint recorded the head (position 3): that is where the rewrite shows
    assert [(b.chain, b.position) for b in breaks] == [(chain, 3)]
    assert "checkpoint" in breaks[0].reason


def test_evidence_a_forged_checkpoint_is_reported(world):
    s = world.session
    _events(s, 2)
    cp = audit_chain.checkpoint(s)
    s.commit()
    bypass_triggers(s)
    heads = dict(cp.heads)
    heads["platform"] = [2, "0" * 64]
    s.execute(update(AuditCheckpoint).where(AuditCheckpoint.id == cp.id).values(heads=heads))
    s.commit()
    breaks = audit_chain.verify(s).breaks
    assert breaks and breaks[0].chain == "checkpoints" and "signature" in breaks[0].reason


def test_evidence_flask_audit_verify_and_checkpoint_commands(app, world):
    s = world.session
    be = world.officer("be").account.customs_id
    _events(s, 3, customs_id=be)
    runner = app.test_cli_runner()
    assert "checkpoint 1" in runner.invoke(args=["audit", "checkpoint"]).output
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "OK" in ok.output, ok.output
    bypass_triggers(s)
    s.execute(
        update(AuditEvent)
        .where(AuditEvent.chain == f"customs:{be}", AuditEvent.seq == 2)
        .values(data={"n": 99})
    )
    s.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert f"BROKEN: chain customs:{be}, position 2" in bad.output


def test_evidence_scheduler_signs_checkpoints_hourly(app, world):
    from jobs import scheduler
    from jobs.tasks import audit_checkpoint

    scheduler.register_builtin()
    assert scheduler.PERIODIC["audit.checkpoint"].every.total_seconds() == 3600
    _events(world.session, 1)
    with app.app_context():
        assert audit_checkpoint() is not None


# --- PostgreSQL: the triggers ------------------------------------------------------------------


def _pg(session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the triggers are PostgreSQL's (SQLite has no roles to take rights from)")


def _refused(session, statement) -> None:
    with pytest.raises(DBAPIError, match="eATA evidence"):
        session.execute(statement)
        session.flush()
    session.rollback()


def test_evidence_trigger_refuses_update_and_delete_of_audit_events_on_postgresql(world):
    s = world.session
    _pg(s)
    _events(s, 2)
    _refused(s, update(AuditEvent).values(actor_label="x"))
    _refused(s, delete(AuditEvent))
    cp = audit_chain.checkpoint(s)
    s.commit()
    _refused(s, update(AuditCheckpoint).where(AuditCheckpoint.id == cp.id).values(signature="x"))
    _refused(s, delete(AuditCheckpoint))
    assert audit_chain.verify(s).ok


def test_evidence_trigger_allows_a_committed_transaction_only_its_cancellation(world):
    from portal.domain.transactions import cancel_transaction
    from portal.models import TransactionItem

    s = world.session
    _pg(s)
    carnet = issue(world, items=2)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    result = commit(world, t, "export", "ch")
    tid = result.transaction_id
    _refused(s, update(Transaction).where(Transaction.id == tid).values(reference="changed"))
    _refused(s, update(Transaction).where(Transaction.id == tid).values(office_name="Elsewhere"))
    _refused(s, delete(Transaction).where(Transaction.id == tid))
    _refused(
        s, update(TransactionItem).where(TransactionItem.transaction_id == tid).values(quantity=9)
    )
    _refused(s, delete(TransactionItem).where(TransactionItem.transaction_id == tid))
    # cancelled without the cancellation record: refused when the transaction commits
    s.execute(update(Transaction).where(Transaction.id == tid).values(state="cancelled"))
    with pytest.raises(DBAPIError, match="without a cancellation record"):
        s.commit()
    s.rollback()
    # the recorded cancellation goes through
    cancel_transaction(s, tid, world.officer("ch"), result.cancellation_code, "Wrong voucher")
    s.commit()
    assert s.get(Transaction, tid).state == "cancelled"
    # and a cancelled transaction cannot be put back
    _refused(s, update(Transaction).where(Transaction.id == tid).values(state="committed"))
    assert s.scalar(text("SELECT count(*) FROM cancellation")) == 1
