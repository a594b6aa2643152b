"""The archive of closed carnets (issue #20 item 5; portal/domain/archive.py): which carnets
move, the set-based move by batches (re-run, a crash between batches), R-04 histories, the
reconciliation results, statistics, receipts' revocations and the audit trail after the move,
writes refused on an archived carnet, ARCHIVE_AFTER_DAYS=0, the daily job and the command."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db import now_utc
from portal.domain import Conflict, archive, audit_chain, evidence, statistics, visibility
from portal.domain import claims as claim_domain
from portal.domain import reconciliation as rec
from portal.domain.transactions import (
    cancel_transaction,
    cancellation_code_of,
    commit_voucher,
)
from portal.models import AuditEvent, Carnet, Country, Transaction
from portal.models.monitoring import Reconciliation, ReconciliationLine
from tests.support.archive import (
    age,
    closed_carnet,
    in_use,
    round_trip,
    run_archive,
    where_rows_are,
)
from tests.support.factory import travel, voucher
from tests.support.monitoring import ALL, outbound, reconcile


def _all_live(rows):
    return all(archived == 0 for _live, archived in rows.values())


def test_f63_archive_moves_a_closed_carnet_with_its_lines_cancellations_and_facts(world):
    carnet, ids, _cancelled = closed_carnet(world)
    in_use(world)
    before = where_rows_are(world.session, carnet.id)
    assert _all_live(before) and before["cancellations"] == (1, 0)

    result = run_archive(world)

    assert (result.carnets, result.transactions, result.batches) == (1, 6, 1)
    after = where_rows_are(world.session, carnet.id)
    assert after == {k: (0, live) for k, (live, _a) in before.items()}
    assert world.session.get(Carnet, carnet.id).archived_at is not None
    # ids are kept: the receipt of a transaction is the same row wherever it lives
    assert archive.find_transaction(world.session, ids["import"]).reference == "FR-77"
    assert archive.is_archived(archive.find_transaction(world.session, ids["import"]))
    # one audit event per archived carnet, on the carnet (its audit trail shows it)
    event = world.session.scalar(select(AuditEvent).where(AuditEvent.action == "carnet.archived"))
    assert event.object_type == "carnet" and event.object_id == str(carnet.id)


def test_f63_archive_rerun_moves_nothing_twice(world):
    carnet, _ids, _c = closed_carnet(world)
    in_use(world)
    run_archive(world)
    moved = where_rows_are(world.session, carnet.id)
    again = run_archive(world)
    assert (again.carnets, again.transactions) == (0, 0)
    assert where_rows_are(world.session, carnet.id) == moved


def test_f63_archive_a_crash_between_batches_leaves_every_row_in_exactly_one_place(
    world, monkeypatch
):
    carnets = [closed_carnet(world)[0] for _ in range(3)]
    in_use(world)
    totals = {c.id: where_rows_are(world.session, c.id) for c in carnets}
    real_move, calls = archive.move_batch, []

    def crash_in_second_batch(session, carnet_ids, now):
        calls.append(carnet_ids)
        moved = real_move(session, carnet_ids, now)  # the batch's statements ran …
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # … and the process dies before its commit
        return moved

    monkeypatch.setattr(archive, "move_batch", crash_in_second_batch)
    with pytest.raises(RuntimeError):
        run_archive(world, batch_size=1)
    world.session.rollback()
    world.session.expire_all()

    first, rest = carnets[0], carnets[1:]
    assert world.session.get(Carnet, first.id).archived_at is not None
    for c in rest:
        assert world.session.get(Carnet, c.id).archived_at is None
    for c in carnets:  # every row in exactly one place, none lost, none doubled
        rows = where_rows_are(world.session, c.id)
        for table, (live, archived) in rows.items():
            expected = sum(totals[c.id][table])
            assert (live + archived, min(live, archived)) == (expected, 0), (c.id, table)

    monkeypatch.setattr(archive, "move_batch", real_move)
    result = run_archive(world, batch_size=1)  # the next run carries on
    assert (result.carnets, result.batches) == (2, 2)
    for c in carnets:
        assert where_rows_are(world.session, c.id) == {
            k: (0, sum(v)) for k, v in totals[c.id].items()
        }


def test_f63_archive_takes_only_closed_carnets(world, app):
    closed, _ids, _c = closed_carnet(world)
    # still valid (moved back in time, but its validity runs)
    valid, _i, _c2 = round_trip(world)
    age(world, valid, expired_days_ago=-30)
    # expired, reconciled, but expired less than ARCHIVE_AFTER_DAYS ago
    recent, _i, _c4 = round_trip(world)
    age(world, recent, expired_days_ago=100)
    # a claim still open on it
    claimed = outbound(world, ALL)
    age(world, claimed)
    reconcile(world)
    s = world.session
    fr = world.officer("fr").account
    claim_domain.open_claim(
        s,
        customs_id=fr.customs_id,
        territory_id=s.get(Country, "FR").territory_id,
        account=fr,
        carnet=claimed,
        reason="Not re-exported",
        import_duties="10",
        limits=claim_domain.Limits(notify_months=10_000),
    )
    s.commit()
    # expired long ago but not reconciled since it expired (its status is still N/A)
    unreconciled, _i, _c3 = round_trip(world)
    reconcile(world)
    age(world, unreconciled)

    plan = archive.plan(s, now_utc().date(), 3 * 365)
    assert (plan.carnets, plan.transactions) == (1, 6)
    run_archive(world)
    archived = set(s.scalars(select(Carnet.id).where(Carnet.archived_at.is_not(None))))
    assert archived == {closed.id}


def test_f63_archive_waits_for_a_run_after_the_last_cancellation(world, app):
    """Reconciled means "a run started after the carnet's last transaction and cancellation"
    (the runs know it; a row's computed_at is when its values last changed)."""
    from sqlalchemy import text, update

    from portal.models import Cancellation

    closed, _ids, cancelled = closed_carnet(world)
    in_use(world)
    reconcile(world)
    s = world.session
    today = now_utc().date()
    assert archive.plan(s, today, 3 * 365).carnets == 1
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL session_replication_role = replica"))
    s.execute(
        update(Cancellation).where(Cancellation.transaction_id == cancelled).values(at=now_utc())
    )
    s.commit()
    assert archive.plan(s, today, 3 * 365).carnets == 0
    rec.run(s)  # incremental: the carnet's statuses stand as they were
    s.commit()
    assert archive.plan(s, today, 3 * 365).carnets == 1


def test_f63_archive_after_days_zero_or_none_never_archives(world, app):
    carnet, _ids, _c = closed_carnet(world)
    in_use(world)
    try:
        archive.configure(0)
        assert archive.after_days() is None
        assert run_archive(world, days=None).carnets == 0
        assert run_archive(world, days=0).carnets == 0
        assert run_archive(world, days=-5).carnets == 0  # no cut-off in the future
        archive.configure(-1)
        assert archive.after_days() is None
        assert world.session.get(Carnet, carnet.id).archived_at is None
    finally:
        archive.configure(app.config["ARCHIVE_AFTER_DAYS"])
    assert run_archive(world, days=None).carnets == 1  # the configured 3 years


def test_r04_archived_history_is_what_each_territory_saw_before(world):
    carnet, ids, cancelled = closed_carnet(world)
    in_use(world)
    s = world.session
    ch_terr = s.get(Country, "CH").territory_id
    eu_terr = s.get(Country, "FR").territory_id
    views = {
        "ch": (ch_terr, world.officer("ch").account.customs_id),
        "fr": (eu_terr, world.officer("fr").account.customs_id),
        "be": (eu_terr, world.officer("be").account.customs_id),
    }

    def seen():
        out = {}
        for cc, (territory, customs_id) in views.items():
            rows = visibility.history_seen_by(s, carnet.id, territory, customs_id)
            out[cc] = [
                (t.id, t.kind, t.state, t.officer_name, t.remarks, t.cancellation_reason)
                for t in rows
            ]
        out["full"] = [(t.id, len(t.items)) for t in visibility.full_history(s, carnet.id)]
        return out

    before = seen()
    run_archive(world)
    assert seen() == before
    # R-04 itself: CH (home) does not see what the EU did once the carnet came in; the EU sees
    # the Swiss transactions before entry and the final re-importation; BE sees FR's import
    # without its officer or remarks, FR sees its own with both; the cancelled import keeps
    # its reason
    assert [k for _i, k, *_ in before["ch"]] == ["validation", "export", "reimport"]
    assert [k for _i, k, *_ in before["be"]] == [
        "validation",
        "export",
        "import",
        "import",
        "reexport",
        "reimport",
    ]
    be_import = next(r for r in before["be"] if r[0] == ids["import"])
    fr_import = next(r for r in before["fr"] if r[0] == ids["import"])
    assert be_import[3:5] == ("", "") and fr_import[4] == "Seal number checked twice"
    assert next(r for r in before["be"] if r[0] == cancelled)[5] == "Scanned the wrong voucher"


def test_f60_archived_carnet_keeps_its_reconciliation_and_runs_leave_it_out(world):
    carnet = outbound(world, ALL)  # imported, never re-exported: To check
    age(world, carnet)
    in_use(world)
    reconcile(world)
    s = world.session

    def results():
        statuses = s.execute(
            select(Reconciliation.territory_id, Reconciliation.status, Reconciliation.computed_at)
            .where(Reconciliation.carnet_id == carnet.id)
            .order_by(Reconciliation.territory_id)
        ).all()
        lines = s.execute(
            select(ReconciliationLine.territory_id, ReconciliationLine.item_no)
            .where(ReconciliationLine.carnet_id == carnet.id)
            .order_by(ReconciliationLine.territory_id, ReconciliationLine.item_no)
        ).all()
        return statuses, lines

    before = results()
    assert {status for _t, status, _at in before[0]} == {"to_check"} and len(before[1]) == 40
    run_archive(world)
    for full in (True, False):
        run = rec.run(s, full=full)
        s.commit()
        assert run.carnets == (1 if full else 0)  # the carnet in use only: left out
    assert results() == before  # nothing recomputed (with no live transaction, all would go)
    assert rec.overall_status(s, s.get(Carnet, carnet.id)) == "to_check"


def test_f66_statistics_count_archived_transactions(world):
    closed_carnet(world)
    in_use(world)
    rec.run(world.session, full=True)
    world.session.commit()
    s = world.session
    territories = [s.get(Country, cc).territory_id for cc in ("CH", "FR")]

    def figures():
        return [
            (statistics.transactions_by_year(s, t), statistics.issuing_countries(s, t))
            for t in territories
        ]

    before = figures()
    assert all(years for years, _c in before)
    run_archive(world)
    assert figures() == before
    rec.run(s, full=True)  # a full run recounts the live transactions only …
    s.commit()
    assert figures() == before  # … and the archived ones are still counted


def test_f44_evidence_archived_cancelled_receipt_stays_revoked(world):
    from portal.domain import receipts
    from portal.domain.evidence_verify import parse_receipt

    _carnet, ids, cancelled = closed_carnet(world)
    in_use(world)
    s = world.session
    revoked = evidence.revocation_list(s)["revoked"]
    assert len(revoked) == 2  # the closed carnet's cancelled import, and the one in use
    qr = {
        i: receipts.verification_payload_of(s, s.get(Transaction, i))
        for i in (cancelled, ids["import"])
    }
    run_archive(world)
    assert evidence.revocation_list(s)["revoked"] == revoked
    # the online check of a scanned receipt finds the archived transaction (the receipts'
    # signing times were moved years back with the carnet, before the key's validity: the
    # check of the cancellation is the one of evidence.verify_text)
    assert evidence.is_cancelled(s, parse_receipt(qr[cancelled]))
    assert not evidence.is_cancelled(s, parse_receipt(qr[ids["import"]]))


def test_f25_audit_trail_verifies_after_archiving(world):
    closed_carnet(world)
    in_use(world)
    s = world.session
    events = s.scalar(select(func.count()).select_from(AuditEvent))
    assert audit_chain.verify(s).ok
    run_archive(world)
    report = audit_chain.verify(s)
    assert report.ok, [str(b) for b in report.breaks]
    # no audit row moved or rewritten: the ones before are all there, plus the archive's event
    assert report.events == events + 1


def test_f44_archived_carnet_refuses_cancellation_and_new_commit(world):
    carnet, ids, _c = round_trip(world)
    pending = travel(world, carnet, "CH", "DE", items={1: 1})  # a voucher still open
    age(world, carnet)
    in_use(world)
    reconcile(world)
    run_archive(world)
    s = world.session
    txn = archive.find_transaction(s, ids["reimport"])
    with pytest.raises(Conflict) as refused:
        cancel_transaction(s, txn.id, world.officer("ch"), cancellation_code_of(txn), "Late")
    assert refused.value.code == "carnet_archived"
    assert "archived" in refused.value.message and carnet.carnet_number in refused.value.message
    s.rollback()
    with pytest.raises(Conflict) as refused:
        commit_voucher(s, voucher(world, pending, "export").id, world.officer("ch"))
    assert refused.value.code == "carnet_archived"
    s.rollback()
    assert (
        s.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.carnet_id == carnet.id)
        )
        == 0
    )


def test_f73_archived_carnet_refuses_a_paper_transaction_and_keeps_its_discharge_view(world):
    from portal.domain.transactions.place import place_of
    from portal.domain.transition import PaperInput, discharge_view, record_paper_transaction

    carnet, _ids, _c = closed_carnet(world)
    in_use(world)
    s = world.session
    before = [(h.kind, h.medium, h.state) for h in discharge_view(s, carnet).lines]
    run_archive(world)
    carnet = s.get(Carnet, carnet.id)
    assert [(h.kind, h.medium, h.state) for h in discharge_view(s, carnet).lines] == before
    assert len(before) == 6
    with pytest.raises(Conflict) as refused:
        record_paper_transaction(
            s,
            carnet,
            PaperInput("import", "NO", "NO border office", now_utc().date(), "0001"),
            place=place_of(s, world.officer("fr")),
            recorded_by=world.officer("fr").account.email,
        )
    assert refused.value.code == "carnet_archived"


def test_f63_archive_daily_job_and_command(world, app):
    from jobs import scheduler
    from jobs.monitoring import daily_archive
    from portal.models.jobs import Job

    scheduler.register_builtin()
    assert "monitoring.archive" in scheduler.DAILY
    first, _i, _c = closed_carnet(world)
    second, _i, _c = closed_carnet(world)
    in_use(world)

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["monitoring", "archive", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would archive 2 carnets (12 transactions)" in dry.output
    world.session.expire_all()
    assert world.session.get(Carnet, first.id).archived_at is None  # the dry run moved nothing

    off = runner.invoke(args=["monitoring", "archive", "--days", "0"])
    assert off.exit_code == 0 and "nothing to do" in off.output

    done = runner.invoke(args=["monitoring", "archive", "--batch-size", "1"])
    assert done.exit_code == 0, done.output
    assert "archived 2 carnets (12 transactions) in 2 batches" in done.output

    third, _i, _c = closed_carnet(world)
    in_use(world)
    with app.app_context():
        daily_archive()
    world.session.expire_all()
    assert world.session.get(Carnet, third.id).archived_at is not None
    job = world.session.scalar(select(Job).where(Job.kind == "archive"))
    assert job.status == "done" and job.result == {"carnets": 1, "transactions": 6}


def test_f63_archive_keeps_the_carnet_holding_the_newest_ids_so_no_id_is_reused(world):
    """SQLite gives a new row the largest id + 1: the carnet holding the largest transaction,
    line or cancellation id stays live, so a new transaction never gets an archived id."""
    carnet, _ids, _c = closed_carnet(world)
    assert run_archive(world).carnets == 0  # it holds the newest ids
    newer = in_use(world)
    assert run_archive(world).carnets == 1
    t = travel(world, newer, "CH", "DE", items={1: 1})
    new_id = commit_voucher(world.session, voucher(world, t, "export").id, world.officer("ch"))
    world.session.commit()
    archived_ids = {t.id for t in visibility.full_history(world.session, carnet.id)}
    assert new_id.transaction_id not in archived_ids
    assert new_id.transaction_id > max(archived_ids)
