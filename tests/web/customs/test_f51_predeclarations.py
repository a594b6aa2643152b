"""F-51 at the customs portal: the list of incoming pre-notifications/pre-declarations (the
officer's offices, R-16; their administration, R-17; 20 a page; filters; the menu's count) and
each transition — Acknowledge, Reject with a reason, Commit through the engine to the receipt —
with its refusals."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from portal.domain import predeclarations as pd
from portal.models import Predeclaration, Transaction
from tests.support.predeclarations import form, ready_import


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def _send(world, v, office=None, **kw) -> Predeclaration:
    p = pd.send(world.session, world.holder, v.id, form(office or world.officer("fr").office, **kw))
    world.session.commit()
    return p


def _state(world, p) -> str:
    world.session.expire_all()
    return world.session.get(Predeclaration, p.id).state


def test_f51_list_shows_the_offices_predeclarations_with_the_menu_count(world, desk):
    carnet, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    r = d.client.get("/predeclarations")
    body = _text(r)
    assert r.status_code == 200
    assert f'id="predeclaration-{p.id}"' in body and carnet.carnet_number in body
    assert "Anne Peeters" not in body or "pre-declaration" in body
    assert "Pre-declarations (1)" in body  # the menu's count of pending ones
    assert "LX1234" in body and "Hand carry, Air" in body


def test_r17_another_administration_sees_nothing_and_gets_404(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("be")
    r = d.client.get("/predeclarations")
    assert f'id="predeclaration-{p.id}"' not in _text(r)
    assert "Pre-declarations (" not in _text(r)
    assert d.client.get(f"/predeclarations/{p.id}").status_code == 404
    assert d.client.post(f"/predeclarations/{p.id}/acknowledge").status_code == 404
    assert d.client.post(f"/predeclarations/{p.id}/commit").status_code == 404
    assert _state(world, p) == "pending"


def test_r16_an_office_outside_the_officers_region_is_not_shown(world, desk):
    other = world.others["fr"]
    d = desk("fr")
    assert other.office.region_id != d.officer.office.region_id  # the demo's two FR regions
    _, _, v = ready_import(world)
    p = _send(world, v, office=other.office)
    assert f'id="predeclaration-{p.id}"' not in _text(d.client.get("/predeclarations"))
    assert d.client.get(f"/predeclarations/{p.id}").status_code == 404
    assert d.client.post(f"/predeclarations/{p.id}/acknowledge").status_code == 404


def test_f51_list_filters_by_office_date_and_status_and_pages_by_20(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    # 20 older, closed copies at the same office
    for _ in range(20):
        world.session.add(
            Predeclaration(
                **{
                    c: getattr(p, c)
                    for c in (
                        "customs_id",
                        "office_id",
                        "voucher_id",
                        "carnet_id",
                        "travel_id",
                        "holder_id",
                        "kind",
                        "option",
                        "expected_at",
                        "carriage",
                        "transport_mode",
                        "transport_id",
                        "shipment_number",
                    )
                },
                state="withdrawn",
                created_at=p.created_at.replace(year=p.created_at.year - 1),
            )
        )
    world.session.commit()
    d = desk("fr")
    page1 = _text(d.client.get("/predeclarations"))
    assert page1.count('id="predeclaration-') == 20
    assert f'id="predeclaration-{p.id}"' in page1  # newest first
    assert "1–20 of 21" in page1
    page2 = _text(d.client.get("/predeclarations?page=2"))
    assert page2.count('id="predeclaration-') == 1
    only_open = _text(d.client.get("/predeclarations?status=pending"))
    assert only_open.count('id="predeclaration-') == 1
    day = p.expected_at.date().isoformat()
    assert "1–20 of 21" in _text(d.client.get(f"/predeclarations?date={day}"))
    assert "No pre-notification" in _text(d.client.get("/predeclarations?date=2001-01-01"))
    own = world.officer("fr").office.id
    assert "1–20 of 21" in _text(d.client.get(f"/predeclarations?office_id={own}"))
    # htmx filters swap only the results
    r = d.client.get("/predeclarations?status=pending", headers={"HX-Request": "true"})
    assert "<html" not in _text(r) and 'id="results"' in _text(r)


def test_f51_pre_notification_only_hides_the_carnets_details(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v, option="notification_only")
    d = desk("fr")
    body = _text(d.client.get(f"/predeclarations/{p.id}"))
    assert "without the carnet's details" in body
    assert "Goods declared" not in body and 'id="commit"' not in body
    assert 'id="acknowledge"' in body and 'id="reject"' in body


def test_f51_acknowledge_then_refused_twice(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    r = d.client.post(f"/predeclarations/{p.id}/acknowledge")
    assert r.status_code == 303 and _state(world, p) == "acknowledged"
    r = d.client.post(f"/predeclarations/{p.id}/acknowledge")
    assert r.status_code == 409 and "already acknowledged by customs" in _text(r)


def test_f51_reject_needs_a_reason_next_to_the_field(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    r = d.client.post(f"/predeclarations/{p.id}/reject", data={"reason": " "})
    assert r.status_code == 422
    assert 'id="reason-error"' in _text(r) and "Give the reason for the rejection." in _text(r)
    assert _state(world, p) == "pending"
    r = d.client.post(f"/predeclarations/{p.id}/reject", data={"reason": "Documents missing"})
    assert r.status_code == 303 and _state(world, p) == "rejected"
    body = _text(d.client.get(f"/predeclarations/{p.id}"))
    assert "Documents missing" in body and 'id="reject"' not in body


def _open_wizard(d, p) -> str:
    """Details → Commit: the desk's wizard for the pre-declared voucher, at step 2."""
    r = d.client.post(f"/predeclarations/{p.id}/commit")
    assert r.status_code == 303, _text(r)[-1500:]
    assert re.search(r"/transactions/w/[^/]+/carnet$", r.headers["Location"])
    return r.headers["Location"]


def test_f51_commit_from_the_list_opens_the_wizard_prefilled_and_lands_on_the_receipt(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    page = _text(d.client.get(f"/predeclarations/{p.id}"))
    assert 'id="commit"' in page and 'name="commit_token"' not in page  # no one-page form
    step2 = _open_wizard(d, p)
    step2, step3, step4 = d.steps(step2)
    assert "2. Check the carnet" in _text(d.client.get(step2))
    r = d.client.post(step3, data={"action": "next"})
    assert r.status_code == 303 and r.headers["Location"] == step4
    body = _text(d.client.get(step4))
    assert 'value="AWB 123-456"' in body  # the shipment number as the customs reference
    assert "Pre-declared: hand carry, Air LX1234" in body  # the transport in the remarks
    data = {"reference": "AWB 123-456", "remarks": "fast lane"}
    r = d.commit(step4, data)
    assert r.status_code == 303 and "/receipt" in r.headers["Location"]
    world.session.expire_all()
    txn = world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id))
    assert txn.reference == "AWB 123-456" and txn.remarks == "fast lane"
    assert _state(world, p) == "committed"
    assert world.session.get(Predeclaration, p.id).transaction_id == txn.id
    assert d.client.get(r.headers["Location"]).status_code == 200
    # a double click replays the first result
    again = d.commit(step4, data)
    assert again.status_code == 303 and again.headers["Location"] == r.headers["Location"]
    assert (
        len(list(world.session.scalars(select(Transaction).where(Transaction.voucher_id == v.id))))
        == 1
    )
    # the pre-declaration is no longer open: Commit on Details is refused
    r = d.client.post(f"/predeclarations/{p.id}/commit")
    assert r.status_code == 409 and "It cannot be committed" in _text(r)


def test_f51_commit_refused_by_the_engine_says_why_and_commits_nothing(world, desk):
    _, _, v = ready_import(world, exported=False)  # not validated yet
    p = _send(world, v)
    d = desk("fr")
    _, _, step4 = d.steps(_open_wizard(d, p))
    r = d.commit(step4, {"reference": "x"})
    assert r.status_code == 409 and "has not been validated yet" in _text(r)
    assert _state(world, p) == "pending"
    assert world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id)) is None


def test_f51_a_pre_notification_cannot_be_committed(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v, option="")
    d = desk("fr")
    r = d.client.post(f"/predeclarations/{p.id}/commit")
    assert r.status_code == 409 and "did not allow an automatic transaction" in _text(r)


def test_f51_withdrawn_by_the_holder_is_refused_to_the_officer(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    pd.withdraw(world.session, world.holder, p.id)
    world.session.commit()
    d = desk("fr")
    r = d.client.post(f"/predeclarations/{p.id}/commit")
    assert r.status_code == 409 and "withdrawn by the holder" in _text(r)


def test_f51_withdrawn_while_the_officer_is_in_the_wizard_commits_nothing(world, desk):
    """The wizard opened from a pre-declaration has no transaction code: its commit goes through
    the pre-declaration, which the holder withdrew meanwhile — refused, nothing committed."""
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    _, _, step4 = d.steps(_open_wizard(d, p))
    pd.withdraw(world.session, world.holder, p.id)
    world.session.commit()
    r = d.commit(step4, {"reference": "x"})
    assert r.status_code == 409 and "withdrawn by the holder" in _text(r)
    assert world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id)) is None


def test_f51_a_wizard_commit_with_the_code_closes_the_open_predeclaration(world, desk):
    """A voucher pre-declared, then committed through New transaction (its code): the same
    database transaction marks the pre-declaration committed, with the transaction's id; the
    holder gets the commit's notification; the list no longer offers it as open."""
    from portal.models import HolderNotification

    _, _, v = ready_import(world)
    p = _send(world, v)
    pd.acknowledge(world.session, p.id, world.officer("fr"))
    world.session.commit()
    d = desk("fr")
    _, _, step4 = d.steps(d.start(v))
    r = d.commit(step4, {"reference": "R-1"})
    assert r.status_code == 303 and "/receipt" in r.headers["Location"]
    world.session.expire_all()
    txn = world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id))
    closed = world.session.get(Predeclaration, p.id)
    assert closed.state == "committed" and closed.transaction_id == txn.id
    assert closed.acted_by == world.officer("fr").account.full_name
    notes = world.session.scalars(
        select(HolderNotification.kind).where(HolderNotification.voucher_id == v.id)
    ).all()
    assert "committed" in notes
    body = _text(d.client.get("/predeclarations?status=open"))
    assert f'id="predeclaration-{p.id}"' not in body


def test_f51_a_refused_wizard_commit_leaves_the_predeclaration_open(world, desk):
    _, _, v = ready_import(world)
    p = _send(world, v)
    d = desk("fr")
    _, _, step4 = d.steps(d.start(v))
    r = d.commit(step4, {"final_date": "1999-01-01"})  # refused by the engine
    assert r.status_code in (409, 422)
    assert _state(world, p) == "pending"
    assert world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id)) is None


def test_f51_needs_login(world, client_for):
    r = client_for("customs", "fr").get("/predeclarations")
    assert r.status_code in (302, 303) and "login" in r.headers["Location"]
