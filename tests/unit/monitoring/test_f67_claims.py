"""F-67: claims on "To check" carnets, Convention time limits (time travel), liability cap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import Conflict, DomainError, claims
from portal.models import Account, Country, CustomsAdministration
from tests.support.factory import commit, travel
from tests.support.monitoring import ALL, expire, item_range, outbound, reconcile, to_check_carnet

LIMITS = claims.Limits()


def _controller(world, code="fr"):
    admin = world.session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == code)
    )
    account = world.session.scalar(
        select(Account).where(Account.customs_id == admin.id, Account.role == "controller")
    )
    return admin, account


def _open(world, carnet, now=None, duties="1000"):
    admin, account = _controller(world)
    claim = claims.open_claim(
        world.session,
        customs_id=admin.id,
        territory_id=world.session.get(Country, "FR").territory_id,
        account=account,
        carnet=carnet,
        reason="Not re-exported",
        import_duties=duties,
        limits=LIMITS,
        now=now,
    )
    world.session.commit()
    return claim


def test_f67_claim_on_a_to_check_carnet_lists_the_unbalanced_items_and_the_cap(world):
    carnet = to_check_carnet(world)
    claim = _open(world, carnet, duties="1234.50")
    assert claim.nga_id == carnet.nga_id and claim.status == "open"
    assert [i["item_no"] for i in claim.items] == list(range(1, 21))
    assert claims.liability_cap(claim) == Decimal("1357.95")
    assert [e.kind for e in claim.events] == ["opened"]
    with pytest.raises(Conflict):
        _open(world, carnet)


def test_f67_no_claim_on_a_terminated_or_valid_carnet(world):
    carnet = outbound(world, item_range(7, 10))
    with pytest.raises(DomainError, match="To check"):
        _open(world, carnet)  # still valid: N/A
    back = travel(world, carnet, "DE", "CH", items=item_range(7, 10))
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    expire(world, carnet)
    reconcile(world)
    with pytest.raises(DomainError, match="To check"):
        _open(world, carnet)


def test_f67_deadlines_notify_within_a_year_proof_within_six_months(world):
    carnet = to_check_carnet(world)
    expired_on = carnet.valid_until
    late = dt.datetime.combine(claims.add_months(expired_on, 12) + dt.timedelta(days=1), dt.time(9))
    with pytest.raises(DomainError, match="time limit to notify"):
        _open(world, carnet, now=late)
    opened = now_utc()
    claim = _open(world, carnet, now=opened)
    proof_due = claims.add_months(opened.date(), 6)
    d = claims.deadlines(claim, carnet, LIMITS, proof_due)
    assert [x.due for x in d] == [claims.add_months(expired_on, 12), proof_due]
    assert not any(x.overdue for x in d)
    # time travel: the day after the proof deadline, unanswered → overdue
    assert claims.is_overdue(claim, carnet, LIMITS, proof_due + dt.timedelta(days=1))
    claims.answer(
        world.session,
        claim,
        nga_name="ATA Suisse",
        text="Re-exported by road",
        now=opened + dt.timedelta(days=10),
    )
    assert not claims.is_overdue(claim, carnet, LIMITS, proof_due + dt.timedelta(days=1))


def test_f67_provisional_payment_becomes_final_three_months_later(world):
    carnet = to_check_carnet(world)
    claim = _open(world, carnet)
    _, account = _controller(world)
    paid = now_utc()
    claims.record_provisional_payment(world.session, claim, account, now=paid)
    final_on = claims.add_months(paid.date(), 3)
    d = claims.deadlines(claim, carnet, LIMITS, final_on)
    assert d[-1].due == final_on and not d[-1].overdue
    assert claims.deadlines(claim, carnet, LIMITS, final_on + dt.timedelta(days=1))[-1].overdue
    claims.settle(world.session, claim, account, "Paid", now=paid + dt.timedelta(days=100))
    assert claim.status == "settled"
    assert not claims.is_overdue(claim, carnet, LIMITS, final_on + dt.timedelta(days=1))
    with pytest.raises(Conflict):
        claims.withdraw(world.session, claim, account, "late")


def test_f67_answer_points_only_to_transactions_of_the_carnet_and_evidence_is_limited(world, app):
    carnet = to_check_carnet(world)
    other = outbound(world, ALL)
    claim = _open(world, carnet)
    from portal.models import Transaction

    foreign = world.session.scalar(select(Transaction.id).where(Transaction.carnet_id == other.id))
    with pytest.raises(DomainError, match="not recorded on the carnet"):
        claims.answer(world.session, claim, nga_name="NGA", text="x", transaction_ids=[foreign])
    small = claims.Limits(evidence_max_bytes=10)
    with pytest.raises(DomainError, match="larger than"):
        claims.add_evidence(
            world.session,
            claim,
            kind="document",
            filename="a.pdf",
            content_type="application/pdf",
            data=b"%PDF-" + b"x" * 20,
            storage_dir=app.config["STORAGE_DIR"],
            limits=small,
        )
    with pytest.raises(DomainError, match="PDF, PNG or JPEG"):
        claims.add_evidence(
            world.session,
            claim,
            kind="document",
            filename="a.exe",
            content_type="application/x-msdownload",
            data=b"MZ",
            storage_dir=app.config["STORAGE_DIR"],
            limits=LIMITS,
        )
    ev = claims.add_evidence(
        world.session,
        claim,
        kind="certificate_of_location",
        filename="../../cert.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.4 ok",
        storage_dir=app.config["STORAGE_DIR"],
        limits=LIMITS,
    )
    assert ev.filename == "cert.pdf" and claim.status == "answered"


def test_f67_withdraw_needs_a_reason(world):
    carnet = to_check_carnet(world)
    claim = _open(world, carnet)
    _, account = _controller(world)
    with pytest.raises(DomainError, match="why"):
        claims.withdraw(world.session, claim, account, " ")
    claims.withdraw(world.session, claim, account, "Proof of re-exportation received")
    assert claim.status == "withdrawn" and claim.closed_at is not None
