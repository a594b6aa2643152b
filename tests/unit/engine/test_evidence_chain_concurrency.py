"""The audit chains under real concurrency (docs/evidence.md): 20 threads, each with its own
session and connection, commit at once — half through the engine (the administration's chain,
then the platform's), half recording events of another administration and of the NGA. Every
chain must come out with positions 1…n without gap or repeat, each event linked to the one
before, and `audit verify` clean."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.domain import audit, audit_chain
from portal.domain.transactions import Officer, commit_voucher
from portal.extensions import db as database
from portal.models import Account, AuditChain, AuditEvent, Office
from tests.support.factory import issue, travel, voucher

THREADS = 20


def test_evidence_concurrent_commits_keep_every_chain_consistent(world):
    ch = world.officer("ch")
    be_customs = world.officer("be").account.customs_id
    nga_id = world.nga.id
    vouchers = []
    for _ in range(THREADS // 2):
        carnet = issue(world, items=2)
        vouchers.append(voucher(world, travel(world, carnet, "CH", "FR"), "validation").id)
    before = world.session.scalar(select(func.count()).select_from(AuditEvent))
    barrier = threading.Barrier(THREADS, timeout=60)
    errors: list = []

    def run(n: int) -> None:
        with database.new_session() as s:
            me = Officer(account=s.get(Account, ch.account.id), office=s.get(Office, ch.office.id))
            s.commit()  # give the connection back: the pool has fewer than 20 on SQLite
            barrier.wait()
            try:
                if n % 2 == 0:
                    commit_voucher(s, vouchers[n // 2], me, fields={"goods_examined": True})
                    audit.record(s, "test.after_commit", actor_type="system", data={"n": n})
                else:
                    audit.record(s, "test.be", actor_type="system", customs_id=be_customs)
                    audit.record(s, "test.nga", actor_type="system", nga_id=nga_id)
                s.commit()
            except Exception as exc:  # noqa: BLE001 — reported by the assertion
                s.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    s = world.session
    s.expire_all()
    total = s.scalar(select(func.count()).select_from(AuditEvent))
    assert total == before + THREADS // 2 * 4
    for head in s.scalars(select(AuditChain)):
        seqs = list(
            s.scalars(
                select(AuditEvent.seq)
                .where(AuditEvent.chain == head.chain)
                .order_by(AuditEvent.seq)
            )
        )
        assert seqs == list(range(1, head.seq + 1)), head.chain
    counts = dict(
        s.execute(select(AuditEvent.chain, func.count()).group_by(AuditEvent.chain)).all()
    )
    assert counts[f"customs:{ch.account.customs_id}"] >= THREADS // 2
    assert counts[f"customs:{be_customs}"] >= THREADS // 2
    report = audit_chain.verify(s)
    assert report.ok, [str(b) for b in report.breaks]
