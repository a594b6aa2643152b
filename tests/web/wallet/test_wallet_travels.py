"""F-32, F-33, F-34, F-35, F-38, R-09: travels with set accounting, vouchers, live state,
notifications, verification code, share links, and holder isolation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain.transactions import (
    cancel_transaction,
    commit_voucher,
    reject_voucher,
)
from portal.domain.vouchers import code_of, format_code, parse_qr_payload
from portal.models import CarnetSets, OutboxMessage, Travel, Voucher, VoucherShare

NAME = "Anne Peeters"


def _poll(client, path):
    """What htmx sends when the live fragment polls."""
    return client.get(path, headers={"HX-Request": "true", "HX-Trigger": "live"})


def _sets(session, carnet_id):
    session.expire_all()
    return {
        s.kind: s.remaining
        for s in session.scalars(select(CarnetSets).where(CarnetSets.carnet_id == carnet_id))
    }


@pytest.fixture
def ready(make_holder, wallet_client, issue):
    """A holder with a downloaded, signed carnet: (client, holder, issued)."""
    holder = make_holder()
    c = wallet_client(holder)
    one = issue(items=3, pieces=2)
    assert (
        c.post(
            "/my/carnets/download", data={"carnet_ref": str(one.eata_id), "pin": one.pin}
        ).status_code
        == 303
    )
    assert (
        c.post(
            f"/my/carnets/{one.carnet_id}/accept", data={"signed_name": NAME, "accept": "y"}
        ).status_code
        == 303
    )
    return c, holder, one


def _travel(c, carnet_id, **over):
    data = {
        "departure_country": "CH",
        "destination_country": "FR",
        "transport_mode": "air",
        "qty-1": "2",
        "qty-2": "1",
        "signed_name": NAME,
        "nickname": "Paris shoot",
    }
    data.update(over)
    return c.post(f"/my/carnets/{carnet_id}/travels/new", data=data)


def _new_travel(c, session, carnet_id, **over) -> Travel:
    r = _travel(c, carnet_id, **over)
    assert r.status_code == 303, r.text
    travel_id = int(re.search(r"/my/travels/(\d+)", r.headers["Location"]).group(1))
    return session.get(Travel, travel_id)


def test_f32_create_edit_delete_with_set_accounting(app, ready, session):
    c, holder, one = ready
    before = _sets(session, one.carnet_id)
    page = c.get(f"/my/carnets/{one.carnet_id}/travels/new")
    assert page.status_code == 200 and 'name="qty-1"' in page.text and "picker-search" in page.text
    t = _new_travel(c, session, one.carnet_id)
    assert [ti.quantity for ti in t.items] == [2, 1]
    after = _sets(session, one.carnet_id)
    assert after["export_reimport"] == before["export_reimport"] - 1
    assert after["import_reexport"] == before["import_reexport"] - 1
    # edit: add a transit country through Germany? DE is EU like FR: refused next to the field
    r = c.post(
        f"/my/travels/{t.id}/edit",
        data={
            "departure_country": "CH",
            "destination_country": "FR",
            "transport_mode": "land",
            "transit_countries": "DE",
            "qty-1": "1",
            "signed_name": NAME,
        },
    )
    assert r.status_code == 422 and "not a transit country" in r.text
    # a valid edit: destination Norway through Germany takes the transit set
    r = c.post(
        f"/my/travels/{t.id}/edit",
        data={
            "departure_country": "CH",
            "destination_country": "NO",
            "transport_mode": "land",
            "transit_countries": "DE",
            "qty-1": "1",
            "signed_name": NAME,
        },
    )
    assert r.status_code == 303, r.text
    assert _sets(session, one.carnet_id)["transit"] == before["transit"] - 1
    session.expire_all()
    kinds = [
        v.kind
        for v in session.scalars(
            select(Voucher)
            .where(Voucher.travel_id == t.id, Voucher.state != "void")
            .order_by(Voucher.position)
        )
    ]
    assert kinds == ["validation", "export", "transit_open", "transit_close", "import"]
    # no transit set left: the picker hides transit countries
    assert "No transit set left" in c.get(f"/my/carnets/{one.carnet_id}/travels/new").text
    # delete gives every set back
    assert c.post(f"/my/travels/{t.id}/delete").status_code == 303
    assert _sets(session, one.carnet_id) == before
    assert c.get(f"/my/travels/{t.id}").status_code == 404


def test_f32_refusals_shown_next_to_the_field(app, ready, session):
    c, holder, one = ready
    r = _travel(c, one.carnet_id, **{"qty-1": "", "qty-2": ""})
    assert r.status_code == 422 and "Declare at least one item" in r.text
    r = _travel(c, one.carnet_id, **{"qty-1": "9"})
    assert r.status_code == 422 and "the general list has 2 piece(s)" in r.text
    r = _travel(c, one.carnet_id, signed_name="Somebody")
    assert r.status_code == 422 and 'id="signed_name-error"' in r.text
    r = _travel(c, one.carnet_id, destination_country="CH")
    assert r.status_code == 422 and "no customs transaction is needed" in r.text


def test_r09_no_sets_left_refused(app, make_holder, wallet_client, issue, session):
    holder = make_holder()
    c = wallet_client(holder)
    one = issue(sets={"export_reimport": 1, "import_reexport": 1, "transit": 0})
    c.post("/my/carnets/download", data={"carnet_ref": str(one.eata_id), "pin": one.pin})
    c.post(f"/my/carnets/{one.carnet_id}/accept", data={"signed_name": NAME, "accept": "y"})
    _new_travel(c, session, one.carnet_id)
    r = _travel(c, one.carnet_id, destination_country="BE")
    assert r.status_code == 422 and "set" in r.text and "left" in r.text


def test_f33_vouchers_match_the_travel_after_the_disclaimer(app, ready, session):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    vouchers = [v for v in t.vouchers if v.state != "void"]
    assert [v.kind for v in vouchers] == ["validation", "export", "import"]
    r = c.get(f"/my/vouchers/{vouchers[0].id}")
    assert r.status_code == 302 and f"/my/travels/{t.id}/vouchers" in r.headers["Location"]
    r = c.post(f"/my/travels/{t.id}/vouchers")
    assert r.status_code == 303 and f"/my/vouchers/{vouchers[0].id}" in r.headers["Location"]
    for i, v in enumerate(vouchers):
        page = c.get(f"/my/vouchers/{v.id}")
        assert format_code(code_of(v)) in page.text
        assert f"Voucher {i + 1} of 3" in page.text
        assert ('rel="next"' in page.text) == (i < 2) and ('rel="prev"' in page.text) == (i > 0)
        svg = c.get(f"/my/vouchers/{v.id}/qr.svg")
        head = svg.data.split(b">", 1)[0]
        # a viewBox and no fixed size: the QR scales crisply to any size
        assert svg.mimetype == "image/svg+xml" and b"viewBox" in head and b"width=" not in head
    page = c.get(f"/my/travels/{t.id}")
    assert page.text.count('data-state="pending"') == 3


def test_f33_qr_payload_is_the_engines(app, ready, session):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = t.vouchers[0]
    from portal.domain.vouchers import qr_payload

    payload = qr_payload(one.eata_id, code_of(v))
    assert parse_qr_payload(payload) == (one.eata_id, code_of(v))


def test_f34_commit_reject_cancel_reach_the_open_page(app, ready, session, world):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    c.post(f"/my/travels/{t.id}/vouchers")
    validation = t.vouchers[0]
    first = c.get(f"/my/vouchers/{validation.id}")
    key = re.search(r"\?k=([0-9A-Za-z-]+)", first.text).group(1)
    # nothing changed: the poll is a cheap 204
    assert _poll(c, f"/my/vouchers/{validation.id}?k={key}").status_code == 204
    reject_voucher(session, validation.id, world.officer("ch"), "Goods not presented")
    session.commit()
    frag = _poll(c, f"/my/vouchers/{validation.id}?k={key}")
    assert frag.status_code == 200 and "Rejected" in frag.text and "<html" not in frag.text
    assert "Goods not presented" not in frag.text  # the reason stays with customs
    result = commit_voucher(
        session, validation.id, world.officer("ch"), fields={"goods_examined": True}
    )
    session.commit()
    frag = _poll(c, f"/my/vouchers/{validation.id}?k={key}")
    assert "Committed" in frag.text
    assert format_code(result.cancellation_code) in frag.text
    # the travel page shows the state per voucher
    assert 'data-state="committed"' in _poll(c, f"/my/travels/{t.id}?k=x").text
    travel_page = c.get(f"/my/travels/{t.id}")
    assert 'data-state="committed"' in travel_page.text and "Delete travel" not in travel_page.text
    assert c.post(f"/my/travels/{t.id}/delete").status_code == 303
    session.expire_all()
    assert session.get(Travel, t.id).deleted_at is None  # refused: transacted
    # verification code check
    r = c.post(
        f"/my/transactions/{result.transaction_id}/verify",
        data={"code": "AAAA"},
        follow_redirects=True,
    )
    assert "does NOT match" in r.text
    r = c.post(
        f"/my/transactions/{result.transaction_id}/verify",
        data={"code": result.verification_code},
        follow_redirects=True,
    )
    assert "matches this committed transaction" in r.text
    # notifications tab and emails
    notes = c.get("/my/notifications")
    assert "rejected" in notes.text.lower() and "committed" in notes.text.lower()
    emails = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "email", OutboxMessage.recipient == holder.email
        )
    ).all()
    assert any("rejected" in m.subject for m in emails)
    # cancellation
    cancel_transaction(
        session,
        result.transaction_id,
        world.officer("ch"),
        result.cancellation_code,
        "Typing error",
    )
    session.commit()
    frag = _poll(c, f"/my/vouchers/{validation.id}?k=x")
    assert "Cancelled" in frag.text or "Pending" in frag.text


def test_f38_every_holder_of_the_carnet_sees_the_same_travels(
    app, ready, make_holder, wallet_client, session
):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    colleague = wallet_client(make_holder(given="Bart", surname="Claes"))
    colleague.post("/my/carnets/download", data={"carnet_ref": str(one.eata_id), "pin": one.pin})
    assert colleague.get(f"/my/travels/{t.id}").status_code == 200
    assert "Paris shoot" in colleague.get("/my/travels").text


def test_f35_isolation_other_holder_gets_404(
    app, ready, make_holder, wallet_client, session, world
):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = t.vouchers[0]
    result = commit_voucher(session, v.id, world.officer("ch"), fields={"goods_examined": False})
    session.commit()
    stranger = wallet_client(make_holder(given="Mallory"))
    stranger.post(f"/my/travels/{t.id}/vouchers")
    for path in (
        f"/my/travels/{t.id}",
        f"/my/travels/{t.id}/edit",
        f"/my/vouchers/{v.id}",
        f"/my/vouchers/{v.id}/qr.svg",
        f"/my/travels/{t.id}/vouchers",
    ):
        assert stranger.get(path).status_code == 404, path
        assert _poll(stranger, path + "?k=x").status_code == 404, path
    assert stranger.post(f"/my/travels/{t.id}/delete").status_code == 404
    assert stranger.post(f"/my/vouchers/{v.id}/share", data={"days": "7"}).status_code == 404
    assert (
        stranger.post(
            f"/my/transactions/{result.transaction_id}/verify",
            data={"code": result.verification_code},
        ).status_code
        == 404
    )
    assert "committed" not in stranger.get("/my/notifications").text.lower()
    # an incomplete form tells nothing either: an existing id answers as an unknown one
    assert (
        stranger.post(
            f"/my/transactions/{result.transaction_id}/verify", data={"code": ""}
        ).status_code
        == 404
    )
    assert stranger.post("/my/transactions/999999/verify", data={"code": ""}).status_code == 404


def test_f35_a_committed_voucher_cannot_be_shared(app, ready, session, world):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = t.vouchers[0]
    commit_voucher(session, v.id, world.officer("ch"), fields={"goods_examined": False})
    session.commit()
    c.post(f"/my/travels/{t.id}/vouchers")
    page = c.get(f"/my/vouchers/{v.id}")
    assert "cannot be shared any more" in page.text and "Create link" not in page.text
    r = c.post(f"/my/vouchers/{v.id}/share", data={"days": "7"}, follow_redirects=True)
    assert "it cannot be shared" in r.text
    assert session.scalar(select(VoucherShare)) is None


def test_f35_share_link_works_expires_and_is_revoked(app, ready, client_for, session):
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    export = next(v for v in t.vouchers if v.kind == "export")
    r = c.post(f"/my/vouchers/{export.id}/share", data={"days": "7", "label": "Bart"})
    assert r.status_code == 200
    link = re.search(r'value="http://wallet\.eata\.test(/my/s/[^"]+)"', r.text).group(1)
    anon = client_for("wallet")
    page = anon.get(link)
    assert page.status_code == 200
    assert format_code(code_of(export)) in page.text
    # only this voucher: not the other vouchers' codes, nor the holder, nor the travel list
    for other in t.vouchers:
        if other.id != export.id:
            assert format_code(code_of(other)) not in page.text
    assert holder.email not in page.text and "Paris shoot" not in page.text
    assert anon.get(link + "/qr.svg").mimetype == "image/svg+xml"
    pdf = anon.get(link + "/voucher.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client_for("customs", "be").get(link).status_code == 404
    # expiry
    share = session.scalar(select(VoucherShare))
    share.expires_at = now_utc() - dt.timedelta(seconds=1)
    session.commit()
    assert anon.get(link).status_code == 404
    # revocation
    share.expires_at = now_utc() + dt.timedelta(days=1)
    session.commit()
    assert anon.get(link).status_code == 200
    assert c.post(f"/my/shares/{share.id}/revoke").status_code == 303
    assert anon.get(link).status_code == 404
    assert anon.get(link + "/qr.svg").status_code == 404
    assert anon.get(link + "/voucher.pdf").status_code == 404
    assert anon.get("/my/s/not-a-token").status_code == 404


def test_f32_travel_with_transit_country_opens(app, ready, session):
    c, holder, one = ready
    t = _new_travel(
        c,
        session,
        one.carnet_id,
        destination_country="NO",
        transit_countries="DE",
        transport_mode="land",
    )
    assert t.transit_countries == ["DE"]
    page = c.get(f"/my/travels/{t.id}")
    assert page.status_code == 200
    assert re.search(r"<dt>Transit</dt><dd>Germany</dd>", page.text)


def _destinations(html: str) -> list[str]:
    select_html = re.search(r'<select[^>]*id="destination_country".*?</select>', html, re.S)
    return re.findall(r'value="([A-Z]{2})"', select_html.group(0))


def test_f32_destination_offers_home_only_for_the_way_back(app, ready, session):
    c, holder, one = ready
    page = c.get(f"/my/carnets/{one.carnet_id}/travels/new")
    assert page.status_code == 200
    assert "CH" not in _destinations(page.text) and "FR" in _destinations(page.text)
    # the departure select refreshes the destination field (htmx) for a departure abroad
    back = c.get(
        f"/my/carnets/{one.carnet_id}/travels/new?departure_country=FR",
        headers={"HX-Request": "true"},
    )
    assert back.status_code == 200 and "CH" in _destinations(back.text)
    t = _new_travel(c, session, one.carnet_id, departure_country="FR", destination_country="CH")
    assert [v.kind for v in t.vouchers][-1] == "reimport"


def test_f34_the_receipt_page_says_whether_the_holder_was_emailed(
    app, ready, session, world, login_as
):
    from jobs.tasks import drain_outbox

    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    desk_officer = world.officer("ch")
    result = commit_voucher(
        session, t.vouchers[0].id, desk_officer, fields={"goods_examined": False}
    )
    session.commit()
    desk = login_as("ch", "officer", account=desk_officer.account)
    page = desk.get(f"/transactions/{result.transaction_id}/receipt")
    assert page.status_code == 200
    assert "its email is queued" in page.text
    assert "received the receipt by email" not in page.text
    with app.app_context():
        drain_outbox()
    page = desk.get(f"/transactions/{result.transaction_id}/receipt")
    assert "The holder received the receipt by email and in the wallet." in page.text
