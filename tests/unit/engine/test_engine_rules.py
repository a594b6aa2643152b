"""R-01 … R-12: one test per rule, each with its refusal message (R-12)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from portal.db import now_utc
from portal.domain import DomainError, PermissionDenied, codes, travels, vouchers
from portal.domain import carnets as carnet_domain
from portal.domain.transactions import (
    cancel_transaction,
    cancellation_code_of,
    commit_voucher,
    hold_carnet,
    release_hold,
)
from portal.domain.visibility import history_for_territory
from portal.models import (
    AuditEvent,
    Cancellation,
    CarnetCountry,
    OutboxMessage,
    Transaction,
    Voucher,
)
from tests.support.factory import (
    HOLDER_NAME,
    add_administration,
    commit,
    issue,
    travel,
    voucher,
)


def _sets(world, carnet) -> dict:
    world.session.expire_all()
    return {s.kind: s.remaining for s in carnet.sets}


def _abroad(world, carnet, dest="FR"):
    """Validated, exported from CH and imported into `dest`."""
    t = travel(world, carnet, "CH", dest)
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    commit(world, t, "import", "fr" if dest in ("FR", "BE", "DE") else dest.lower())
    return t


# --- R-01 -------------------------------------------------------------------------------------


def test_r01_export_needs_validation_first(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    with pytest.raises(
        DomainError,
        match="has not been validated yet: its validation must be "
        "committed in its departure country before the exportation",
    ):
        commit(world, t, "export", "ch")
    commit(world, t, "validation", "ch")
    world.session.refresh(carnet)
    assert carnet.status == "active" and carnet.activated_at is not None
    commit(world, t, "export", "ch")


def test_r01_validation_happens_once(world):
    carnet = issue(world)
    first = travel(world, carnet, "CH", "FR")
    second = travel(world, carnet, "CH", "BE")
    assert [v.kind for v in second.vouchers] == ["export", "import"]  # only one validation
    carnet_domain.mark_activated(carnet)  # e.g. validated in a paper country (F-73)
    world.session.commit()
    with pytest.raises(DomainError, match="already validated on .*validation happens only once"):
        commit(world, first, "validation", "ch")


# --- R-02 -------------------------------------------------------------------------------------


def test_r02_only_box_p_countries_and_the_departure_country(world):
    carnet = issue(world, countries=("NO", "FR"))
    with pytest.raises(DomainError, match="not valid in United States: it is not listed in Box P"):
        travel(world, carnet, "CH", "US")
    t = travel(world, carnet, "CH", "FR")
    with pytest.raises(
        DomainError,
        match="The validation of this carnet is made in its "
        "departure country, Switzerland, not in Belgium",
    ):
        commit(world, t, "validation", "be")
    world.session.rollback()
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    with pytest.raises(
        DomainError,
        match="This voucher is for the importation in France: it "
        "cannot be committed in Switzerland",
    ):
        commit(world, t, "import", "ch")
    world.session.rollback()
    # Box P is the territory's: a carnet valid in France is valid at a Belgian EU office
    commit(world, t, "import", "be")


def test_r02_box_p_checked_again_at_commit(world):
    carnet = issue(world, countries=("NO", "FR"))
    t = _abroad(world, carnet)
    back = travel(world, carnet, "FR", "CH")
    world.session.execute(
        CarnetCountry.__table__.delete().where(
            CarnetCountry.carnet_id == carnet.id, CarnetCountry.country_code == "FR"
        )
    )
    world.session.commit()
    world.session.expire_all()
    with pytest.raises(
        DomainError, match="This carnet is not valid in France: it is not listed in Box P"
    ):
        commit(world, back, "reexport", "fr")
    assert t is not None


@pytest.mark.parametrize(
    "status,message",
    [
        ("blocked", "is blocked by its issuing association: no transaction is possible"),
        ("cancelled", "has been cancelled by its issuing association"),
        ("discharged", "has been discharged: no transaction is possible"),
    ],
)
def test_r02_no_transaction_on_blocked_cancelled_or_discharged_carnets(world, status, message):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    carnet.status = status
    world.session.commit()
    with pytest.raises(DomainError, match=message):
        commit(world, t, "validation", "ch")


# --- R-03 -------------------------------------------------------------------------------------


def test_r03_a_hold_in_belgium_blocks_france_until_released_by_the_same_office(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    v = voucher(world, t, "import")
    hold = hold_carnet(world.session, v.id, world.officer("be"), "Goods to be checked later")
    world.session.commit()
    with pytest.raises(
        DomainError,
        match="This carnet is on hold in this customs territory "
        r"since .* \(Antwerp Port, by Officer BE\): Goods to be checked later. An "
        "officer of Antwerp Port must release it first",
    ):
        commit(world, t, "import", "fr")
    world.session.rollback()
    # another territory is not blocked: the hold is the EU's
    back_home = travel(world, carnet, "FR", "CH")
    assert back_home is not None
    with pytest.raises(PermissionDenied, match="Only an officer of Antwerp Port"):
        release_hold(world.session, hold.id, world.others["be"])
    world.session.rollback()
    with pytest.raises(DomainError, match="No such hold"):
        release_hold(world.session, hold.id, world.officer("ch"))
    world.session.rollback()
    release_hold(world.session, hold.id, world.officer("be"))
    world.session.commit()
    assert commit(world, t, "import", "fr").kind == "import"


# --- R-04 -------------------------------------------------------------------------------------


def test_r04_a_territory_sees_what_came_before_its_own_and_the_final_reimport(world):
    add_administration(world, "no", "NO")
    carnet = issue(world)
    t = _abroad(world, carnet, "FR")
    onward = travel(world, carnet, "FR", "NO")
    commit(world, onward, "reexport", "fr")
    commit(world, onward, "import", "no")
    home = travel(world, carnet, "NO", "CH")
    commit(world, home, "reexport", "no")
    commit(world, home, "reimport", "ch")
    eu = world.officer("fr").office
    from portal.domain.rules import territory_of

    kinds = lambda cc: [  # noqa: E731
        (x.kind, x.country_code)
        for x in history_for_territory(world.session, carnet.id, territory_of(world.session, cc))
    ]
    assert kinds("FR") == [
        ("validation", "CH"),
        ("export", "CH"),
        ("import", "FR"),
        ("reexport", "FR"),
        ("reimport", "CH"),
    ]
    assert kinds("NO") == [
        ("validation", "CH"),
        ("export", "CH"),
        ("import", "FR"),
        ("reexport", "FR"),
        ("import", "NO"),
        ("reexport", "NO"),
        ("reimport", "CH"),
    ]
    assert kinds("CH") == [("validation", "CH"), ("export", "CH"), ("reimport", "CH")]
    assert eu is not None and t is not None


# --- R-05 -------------------------------------------------------------------------------------


def test_r05_cancellation_needs_the_holders_code_and_is_recorded(world):
    carnet = issue(world)
    t = _abroad(world, carnet)
    txn = world.session.scalar(select(Transaction).where(Transaction.kind == "import"))
    with pytest.raises(
        DomainError, match="This cancellation code is not the holder's code for this transaction"
    ):
        cancel_transaction(world.session, txn.id, world.officer("fr"), "AAAAAAAAAAAAA", "typo")
    # the wrong guess is logged and kept
    assert (
        world.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "transaction.cancel_code_failed")
        )
        == 1
    )
    with pytest.raises(PermissionDenied, match="another customs territory"):
        cancel_transaction(
            world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "wrong goods"
        )
    world.session.rollback()
    with pytest.raises(DomainError, match="Give the reason"):
        cancel_transaction(
            world.session, txn.id, world.officer("be"), cancellation_code_of(txn), "  "
        )
    record = cancel_transaction(
        world.session,
        txn.id,
        world.officer("be"),
        cancellation_code_of(txn),
        "wrong goods declared",
    )
    world.session.commit()
    world.session.refresh(txn)
    assert txn.state == "cancelled" and record.reason == "wrong goods declared"
    assert world.session.get(Cancellation, record.id).transaction_id == txn.id
    assert voucher(world, t, "import").state == "open"
    with pytest.raises(DomainError, match="already been cancelled"):
        cancel_transaction(
            world.session, txn.id, world.officer("fr"), cancellation_code_of(txn), "again"
        )
    world.session.rollback()
    again = commit(world, t, "import", "fr")  # the voucher can be transacted again
    assert again.transaction_id != txn.id
    assert world.session.scalar(select(func.count()).select_from(Transaction)) == 4


# --- R-06 -------------------------------------------------------------------------------------


def test_r06_split_shipments_never_below_zero(world):
    carnet = issue(world, items=4, pieces=2)
    _abroad(world, carnet)
    part1 = travel(world, carnet, "FR", "CH", items={1: 2, 2: 1})
    part2 = travel(world, carnet, "FR", "CH", items={2: 1, 3: 2, 4: 2})
    too_much = travel(world, carnet, "FR", "CH", items={1: 1})
    commit(world, part1, "reexport", "fr")
    with pytest.raises(
        DomainError,
        match=r"Item 1: 1 piece\(s\) cannot be re-exported: only 0 "
        r"piece\(s\) were imported into the EU and not yet re-exported",
    ):
        commit(world, too_much, "reexport", "fr")
    world.session.rollback()
    commit(world, part2, "reexport", "fr")
    commit(world, part1, "reimport", "ch")
    commit(world, part2, "reimport", "ch")
    with pytest.raises(
        DomainError,
        match=r"Item 1: 1 piece\(s\) cannot be re-imported: only 0 "
        r"piece\(s\) were exported from Switzerland and not yet re-imported",
    ):
        commit(world, too_much, "reimport", "ch")


def test_r06_cannot_export_more_than_is_at_home(world):
    carnet = issue(world, items=2, pieces=1)
    _abroad(world, carnet)
    again = travel(world, carnet, "CH", "BE")
    with pytest.raises(
        DomainError,
        match=r"Item 1: 1 piece\(s\) cannot be exported again: 1 of "
        r"its 1 piece\(s\) are already exported from Switzerland",
    ):
        commit(world, again, "export", "ch")


# --- R-07 -------------------------------------------------------------------------------------


def test_r07_expired_carnet_allows_only_reexport_and_reimport(world):
    issued_on = now_utc().date() - dt.timedelta(days=40)
    carnet = issue(world, issue_date=issued_on, valid_days=30)
    t = travel(world, carnet, "CH", "FR", now=now_utc() - dt.timedelta(days=39))
    commit(world, t, "validation", "ch", today=issued_on, now=now_utc() - dt.timedelta(days=39))
    commit(world, t, "export", "ch", today=issued_on, fields={"final_date": issued_on.isoformat()})
    commit(world, t, "import", "fr", today=issued_on, fields={"final_date": issued_on.isoformat()})
    stale = travel(world, carnet, "FR", "NO", now=now_utc() - dt.timedelta(days=35))
    expiry = (issued_on + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    with pytest.raises(
        DomainError,
        match=f"This carnet expired on {expiry}: only re-exportation "
        "and re-importation are possible",
    ):
        travel(world, carnet, "CH", "BE")
    back = travel(world, carnet, "FR", "CH")
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    # an open voucher of another kind is refused at commit too
    world.session.rollback()
    with pytest.raises(DomainError, match=f"This carnet expired on {expiry}"):
        commit_voucher(world.session, voucher(world, stale, "import").id, world.officer("fr"))


# --- R-08 -------------------------------------------------------------------------------------


def test_r08_final_date_never_later_than_validity_and_extension_of_stay(world):
    carnet = issue(world, valid_days=200)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    late = carnet.valid_until + dt.timedelta(days=1)
    with pytest.raises(
        DomainError,
        match=r"The final date for re-exportation \(.*\) cannot be "
        r"later than the carnet's validity",
    ):
        commit(world, t, "import", "fr", fields={"final_date": late.isoformat()})
    world.session.rollback()
    early = now_utc().date() + dt.timedelta(days=30)
    first = commit(world, t, "import", "fr", fields={"final_date": early.isoformat()})
    # default: the carnet's validity
    assert world.session.get(Transaction, first.transaction_id).final_date == early
    # extension of stay: re-export, then a new importation with a new final date
    extend = travel(world, carnet, "FR", "FR")
    assert [v.kind for v in extend.vouchers] == ["reexport", "import"]
    commit(world, extend, "reexport", "fr")
    new = commit(world, extend, "import", "fr", fields={"final_date": carnet.valid_until})
    assert world.session.get(Transaction, new.transaction_id).final_date == carnet.valid_until


def test_r08_replacement_stay_capped_at_24_months_from_the_original(world):
    start = now_utc().date() - dt.timedelta(days=360)
    original = issue(world, issue_date=start, valid_days=365)
    t = travel(world, original, "CH", "FR")
    commit(world, t, "validation", "ch", today=start)
    commit(world, t, "export", "ch", today=start)
    commit(world, t, "import", "fr", today=start)
    replacement = issue(world, original=original)
    # a validity beyond the cap (e.g. data from before the check): the cap still holds
    cap = original.issue_date.replace(year=original.issue_date.year + 2)
    replacement.valid_until = cap + dt.timedelta(days=60)
    world.session.commit()
    r = travel(world, replacement, "CH", "FR")
    commit(world, r, "validation", "ch")
    commit(world, r, "export", "ch", fields={"final_date": cap.isoformat()})
    with pytest.raises(
        DomainError,
        match=f"with its original carnet {original.carnet_number} "
        r"issued on .*, the stay may not exceed 24 months, so "
        f"{cap.strftime('%d/%m/%Y')} at the latest",
    ):
        commit(
            world,
            r,
            "import",
            "fr",
            fields={"final_date": (cap + dt.timedelta(days=1)).isoformat()},
        )
    world.session.rollback()
    commit(world, r, "import", "fr", fields={"final_date": cap.isoformat()})


# --- R-09 -------------------------------------------------------------------------------------


def test_r09_sets_consumed_returned_and_exhausted(world):
    carnet = issue(world, sets={"export_reimport": 1, "import_reexport": 2, "transit": 1})
    assert _sets(world, carnet) == {"export_reimport": 1, "import_reexport": 2, "transit": 1}
    t = travel(world, carnet, "CH", "NO", transits=["FR"])
    assert [v.kind for v in t.vouchers] == [
        "validation",
        "export",
        "transit_open",
        "transit_close",
        "import",
    ]
    assert _sets(world, carnet) == {"export_reimport": 0, "import_reexport": 1, "transit": 0}
    with pytest.raises(
        DomainError,
        match="This carnet has no export/re-import sets left, and "
        "this travel needs 1: ask your issuing association for additional sets",
    ):
        travel(world, carnet, "CH", "FR")
    world.session.rollback()
    assert _sets(world, carnet) == {"export_reimport": 0, "import_reexport": 1, "transit": 0}
    travels.delete_travel(world.session, world.holder, t.id)
    world.session.commit()
    assert _sets(world, carnet) == {"export_reimport": 1, "import_reexport": 2, "transit": 1}
    assert all(v.state == "void" for v in t.vouchers)
    # a transacted travel can be neither changed nor deleted
    t2 = travel(world, carnet, "CH", "FR")
    commit(world, t2, "validation", "ch")
    with pytest.raises(DomainError, match="customs already committed one of its vouchers"):
        travels.delete_travel(world.session, world.holder, t2.id)


# --- R-10 -------------------------------------------------------------------------------------


def test_r10_lookup_guesses_are_rate_limited_logged_and_do_not_say_what_was_wrong(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    v = voucher(world, t, "validation")
    code = vouchers.code_of(v)
    assert len(code) == 13 and set(code) <= set(codes.TYPABLE_ALPHABET)
    # the raw code is stored nowhere in clear
    dump = " ".join(str(r) for r in world.session.execute(text("SELECT * FROM voucher")))
    assert code not in dump
    found = vouchers.lookup_voucher(
        world.session, str(carnet.eata_id), vouchers.format_code(code).lower(), client_key="acc:1"
    )
    assert found.id == v.id
    assert (
        vouchers.lookup_voucher(world.session, carnet.carnet_number, code, client_key="acc:1").id
        == v.id
    )
    msgs = set()
    for ref, guess in [(carnet.eata_id, "AAAAAAAAAAAAA"), ("999999999", code)] * 5:
        with pytest.raises(DomainError) as exc:
            vouchers.lookup_voucher(world.session, str(ref), guess, client_key="acc:1")
        msgs.add(exc.value.message)
    assert msgs == {
        "No voucher matches this carnet and transaction code: check both and try again."
    }
    assert (
        world.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "voucher.lookup_failed")
        )
        == 10
    )
    for _ in range(5):
        with pytest.raises(DomainError):
            vouchers.lookup_voucher(
                world.session, str(carnet.eata_id), "AAAAAAAAAAAAA", client_key=f"acc:{_ + 2}"
            )
    # ten wrong guesses on this carnet: locked out, even with the right code
    with pytest.raises(vouchers.TooManyGuesses, match="Too many wrong codes: try again after"):
        vouchers.lookup_voucher(world.session, str(carnet.eata_id), code, client_key="acc:9")
    later = now_utc() + vouchers.LOCKOUT + dt.timedelta(minutes=1)
    assert (
        vouchers.lookup_voucher(
            world.session, str(carnet.eata_id), code, client_key="acc:9", now=later
        ).id
        == v.id
    )


def test_r10_qr_payload_carries_only_id_and_code_and_refuses_forgery(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    code = vouchers.code_of(voucher(world, t, "export"))
    payload = vouchers.qr_payload(carnet.eata_id, code)
    assert payload.split(":")[:3] == ["EATA1", str(carnet.eata_id), code]
    assert vouchers.parse_qr_payload(payload) == (carnet.eata_id, code)
    forged = payload.replace(str(carnet.eata_id), str(carnet.eata_id + 1))
    with pytest.raises(DomainError, match="not an eATA transaction code"):
        vouchers.parse_qr_payload(forged)
    with pytest.raises(DomainError, match="not an eATA transaction code"):
        vouchers.parse_qr_payload("hello")


# --- R-11 -------------------------------------------------------------------------------------


def test_r11_replay_of_a_commit_token_returns_the_first_result(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    first = commit(world, t, "validation", "ch", commit_token="tok-1")
    v = world.session.get(Voucher, world.session.get(Transaction, first.transaction_id).voucher_id)
    replay = commit_voucher(
        world.session,
        v.id,
        world.officer("ch"),
        fields={"goods_examined": False},
        commit_token="tok-1",
    )
    assert replay.replayed and replay.transaction_id == first.transaction_id
    assert replay.verification_code == first.verification_code
    with pytest.raises(
        DomainError, match="This voucher was already committed .*: a voucher is committed once"
    ):
        commit_voucher(
            world.session,
            v.id,
            world.officer("ch"),
            fields={"goods_examined": False},
            commit_token="tok-2",
        )
    world.session.rollback()
    with pytest.raises(DomainError, match="already used for another voucher"):
        commit(world, t, "export", "ch", commit_token="tok-1")
    assert world.session.scalar(select(func.count()).select_from(Transaction)) == 1


# --- R-12 -------------------------------------------------------------------------------------


def test_r12_a_refusal_says_why_and_changes_nothing(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")

    def counts():
        s = world.session
        return tuple(
            s.scalar(select(func.count()).select_from(m))
            for m in (Transaction, AuditEvent, OutboxMessage)
        )

    before = counts()
    with pytest.raises(DomainError) as exc:
        commit(world, t, "export", "ch")
    assert "validated" in exc.value.message and exc.value.message.endswith(".")
    world.session.rollback()
    with pytest.raises(DomainError, match="Say whether the goods were examined"):
        commit(world, t, "validation", "ch", fields={})
    world.session.rollback()
    with pytest.raises(DomainError, match="The field “final date” does not apply to a validation"):
        commit(
            world,
            t,
            "validation",
            "ch",
            fields={"goods_examined": True, "final_date": "2030-01-01"},
        )
    world.session.rollback()
    assert counts() == before
    world.session.refresh(carnet)
    assert carnet.status == "issued" and voucher(world, t, "validation").state == "open"
    with pytest.raises(
        DomainError, match=f"Sign with your legal name as registered: {HOLDER_NAME}"
    ):
        travels.prepare_travel(
            world.session,
            world.holder,
            carnet,
            travels.TravelInput("CH", "FR", "air", {1: 1}, signed_name="Someone Else"),
        )


def test_r05_r06_cancel_refused_while_a_later_transaction_depends_on_it(world):
    carnet = issue(world, items=1, pieces=1)
    _abroad(world, carnet)
    back = travel(world, carnet, "FR", "CH")
    commit(world, back, "reexport", "fr")
    imp = world.session.scalar(select(Transaction).where(Transaction.kind == "import"))
    with pytest.raises(
        DomainError,
        match="This importation cannot be cancelled: item 1 was "
        "re-exported after it in the EU. Cancel that re-exportation first",
    ):
        cancel_transaction(
            world.session, imp.id, world.officer("fr"), cancellation_code_of(imp), "mistake"
        )
    world.session.rollback()
    reimp = commit(world, back, "reimport", "ch")
    again = travel(world, carnet, "CH", "FR")
    commit(world, again, "export", "ch")
    txn = world.session.get(Transaction, reimp.transaction_id)
    with pytest.raises(
        DomainError,
        match="This re-importation cannot be cancelled: item 1 was "
        "exported again after it in Switzerland. Cancel that exportation first",
    ):
        cancel_transaction(
            world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "mistake"
        )


def test_r06_desk_quantities_change_what_is_cleared_and_are_checked(world):
    """Step 3's quick change: the officer clears the pieces actually presented — at most what
    the holder declared, of declared items only — and R-06 checks them like declared ones; a
    validation has no quantities; nothing is stored on a refusal."""
    from portal.models import TransactionItem

    carnet = issue(world, items=4, pieces=2)
    t = travel(world, carnet, "CH", "FR", items={1: 2, 2: 2, 3: 1})
    commit(world, t, "validation", "ch")
    s = world.session
    v = voucher(world, t, "export")
    officer = world.officer("ch")
    for bad, message in (
        ({"4": 1}, "Item 4 is not declared for this transaction"),
        ({"9": 1}, "Item 9 is not declared for this transaction"),
        ({"x": 1}, "Item x is not declared for this transaction"),
        ({"3": 2}, r"Item 3: give between 0 and the 1 piece\(s\) declared"),
        ({"1": -1}, r"Item 1: give between 0 and the 2 piece\(s\) declared"),
        ({"1": True}, r"Item 1: give between 0 and the 2 piece\(s\) declared"),
        ({"1": 1, "01": 2}, "Item 1 is given twice"),
        ([1, 2], "Give the quantities per item"),
        ({"1": 0, "2": 0, "3": 0}, "At least one item must be presented"),
    ):
        with pytest.raises(DomainError, match=message) as err:
            commit_voucher(s, v.id, officer, fields={"quantities": bad})
        assert err.value.field == "quantities"
        s.rollback()
    assert s.scalar(select(func.count()).select_from(Transaction)) == 1
    with pytest.raises(DomainError, match="does not apply to a validation"):
        commit_voucher(
            s,
            voucher(world, travel(world, issue(world), "CH", "FR"), "validation").id,
            officer,
            fields={"goods_examined": True, "quantities": {"1": 1}},
        )
    s.rollback()

    # item 1: 1 of the 2 declared pieces presented; item 3 not presented
    r = commit_voucher(s, v.id, officer, fields={"quantities": {"1": 1, "3": 0}})
    s.commit()
    lines = s.execute(
        select(TransactionItem.item_no, TransactionItem.quantity)
        .where(TransactionItem.transaction_id == r.transaction_id)
        .order_by(TransactionItem.item_no)
    ).all()
    assert [tuple(li) for li in lines] == [(1, 1), (2, 2)]
    # R-06 counts what was cleared: the piece of item 1 left at home can be exported later,
    # not a third one
    later = travel(world, carnet, "CH", "BE", items={1: 2})
    with pytest.raises(
        DomainError,
        match=r"Item 1: 2 piece\(s\) cannot be exported again: 1 "
        r"of its 2 piece\(s\) are already exported from Switzerland",
    ):
        commit_voucher(s, voucher(world, later, "export").id, officer)
    s.rollback()
    r2 = commit_voucher(
        s, voucher(world, later, "export").id, officer, fields={"quantities": {"1": 1}}
    )
    s.commit()
    assert r2.transaction_id


def test_r06_desk_quantities_checked_before_the_commit_name_their_item(world):
    """check_presented: the commit's rules on the officer's quantities, read-only (the desk
    refuses them on step 3); a refusal about one item names it (DomainError.item), R-06 too;
    declared_goods / quantities_editable say what step 3 shows."""
    from portal.domain.transactions import (
        check_presented,
        declared_goods,
        quantities_editable,
    )

    carnet = issue(world, items=3, pieces=2)
    t = travel(world, carnet, "CH", "FR", items={1: 2, 2: 1})
    assert not quantities_editable(voucher(world, t, "validation"))
    assert declared_goods(world.session, voucher(world, t, "validation")) is None
    commit(world, t, "validation", "ch")
    s, officer = world.session, world.officer("ch")
    v = voucher(world, t, "export")
    assert quantities_editable(v) and declared_goods(s, v) == [(1, 2), (2, 1)]
    assert check_presented(s, v.id, officer, None) == [(1, 2), (2, 1)]
    assert check_presented(s, v.id, officer, {2: 0}) == [(1, 2)]
    with pytest.raises(DomainError, match=r"Item 2: give between 0 and the 1 piece") as err:
        check_presented(s, v.id, officer, {1: 1, 2: 2})
    assert (err.value.field, err.value.item) == ("quantities", 2)
    with pytest.raises(DomainError, match="At least one item") as err:
        check_presented(s, v.id, officer, {1: 0, 2: 0})
    assert err.value.item is None
    assert not s.new and not s.dirty  # nothing written
    # R-06: 1 of item 1's pieces exported, the way back may re-import 1, not 2
    commit(world, t, "export", "ch", fields={"quantities": {"1": 1}})
    back = travel(world, carnet, "FR", "CH", items={1: 2})
    with pytest.raises(DomainError, match=r"Item 1: 2 piece\(s\) cannot be re-imported") as err:
        check_presented(s, voucher(world, back, "reimport").id, officer, None)
    assert (err.value.code, err.value.item) == ("quantity", 1)
    assert check_presented(s, voucher(world, back, "reimport").id, officer, {1: 1}) == [(1, 1)]


def test_r06_desk_quantities_of_a_pre_exportation_are_those_of_its_exit(world):
    """EU two-step exportation (F-42): the quantities changed at the pre-exportation are the
    ones the exit clears; the exit cannot change them again."""
    from portal.models import TransactionItem

    carnet = issue(world, items=2, pieces=2, departure="BE", countries=("CH", "NO"))
    t = travel(world, carnet, "BE", "CH")
    commit(world, t, "validation", "be")
    pre = commit(world, t, "export", "be", step="export", fields={"quantities": {"2": 1}})
    v = voucher(world, t, "export")
    with pytest.raises(DomainError, match="quantities cannot change at the exit"):
        commit_voucher(
            world.session, v.id, world.officer("fr"), step="exit", fields={"quantities": {"2": 2}}
        )
    world.session.rollback()
    exit_ = commit(world, t, "export", "fr", step="exit")

    def cleared(txn_id):
        return [
            tuple(r)
            for r in world.session.execute(
                select(TransactionItem.item_no, TransactionItem.quantity)
                .where(TransactionItem.transaction_id == txn_id)
                .order_by(TransactionItem.item_no)
            )
        ]

    assert cleared(pre.transaction_id) == cleared(exit_.transaction_id) == [(1, 2), (2, 1)]


def test_r06_desk_quantities_where_they_cannot_change_are_refused_before_the_commit(world):
    """check_presented refuses pieces presented for a validation (it clears the whole list)
    and at the exit of a pre-exportation (its goods are the pre-exportation's)."""
    from portal.domain import Conflict
    from portal.domain.transactions import check_presented

    carnet = issue(world, items=2, pieces=2, departure="BE", countries=("CH", "NO"))
    t = travel(world, carnet, "BE", "CH")
    s = world.session
    with pytest.raises(Conflict, match="can no longer be changed") as err:
        check_presented(s, voucher(world, t, "validation").id, world.officer("be"), {1: 1})
    assert err.value.code == "pieces_fixed"
    commit(world, t, "validation", "be")
    commit(world, t, "export", "be", step="export")
    exit_voucher = voucher(world, t, "export")
    with pytest.raises(Conflict, match="can no longer be changed"):
        check_presented(s, exit_voucher.id, world.officer("fr"), {2: 1})
    assert check_presented(s, exit_voucher.id, world.officer("fr"), None) == [(1, 2), (2, 2)]
