"""F-50, F-52 in the wallet: send a pre-notification/pre-declaration from a prepared travel,
change or withdraw it until customs act, each refusal next to its field, and the travel's grey /
green / red check arriving live (the same polling as the commits)."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from portal.domain import predeclarations as pd
from portal.domain.transactions import commit_voucher, hold_carnet
from portal.models import Office, Predeclaration, Voucher
from tests.web.wallet.test_wallet_travels import _new_travel, _poll, ready  # noqa: F401


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def _import_voucher(session, t) -> Voucher:
    session.refresh(t)
    return next(v for v in t.vouchers if v.kind == "import" and v.state != "void")


def _fr_office(session) -> Office:
    from portal.models import CustomsAdministration

    admin = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "fr"))
    return session.scalar(
        select(Office)
        .where(Office.customs_id == admin.id, Office.is_administrative.is_(False))
        .order_by(Office.id)
    )


def _form(office, **over) -> dict:
    data = {
        "office_id": str(office.id),
        "expected_date": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
        "expected_time": "14:00",
        "carriage": "cargo",
        "shipment_number": "AWB 999",
        "transport_mode": "air",
        "transport_id": "AF1234",
        "rep_name": "Jean Dupont",
        "rep_eori": "FR999",
        "rep_city": "Lyon",
        "rep_country": "FR",
        "option": "automatic",
    }
    data.update(over)
    return data


def _sent(session, voucher) -> Predeclaration:
    session.expire_all()
    return session.scalar(select(Predeclaration).where(Predeclaration.voucher_id == voucher.id))


def test_f50_send_from_the_travel_then_change_and_withdraw(app, ready, session):  # noqa: F811
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    page = _text(c.get(f"/my/travels/{t.id}"))
    assert f"/my/vouchers/{v.id}/predeclaration" in page  # "Add predeclaration"
    form = _text(c.get(f"/my/vouchers/{v.id}/predeclaration"))
    office = _fr_office(session)
    assert office.name in form and "Allow automatic transaction" in form
    r = c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(office))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/my/travels/{t.id}")
    p = _sent(session, v)
    assert (p.state, p.option, p.carriage, p.transport_id) == (
        "pending",
        "automatic",
        "cargo",
        "AF1234",
    )
    assert pd.representative_of(p)["eori"] == "FR999"
    page = _text(c.get(f"/my/travels/{t.id}"))
    assert 'data-state="pending"' in page and "check-grey" in page
    # change it
    r = c.post(f"/my/predeclarations/{p.id}/edit", data=_form(office, transport_id="AF7"))
    assert r.status_code == 303 and _sent(session, v).transport_id == "AF7"
    # withdraw it: the voucher can be pre-declared again
    r = c.post(f"/my/predeclarations/{p.id}/withdraw")
    assert r.status_code == 303 and _sent(session, v).state == "withdrawn"
    assert f"/my/vouchers/{v.id}/predeclaration" in _text(c.get(f"/my/travels/{t.id}"))


def test_f50_bad_input_is_shown_next_to_the_field(app, ready, session):  # noqa: F811
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = _fr_office(session)
    r = c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(office, expected_time="9h"))
    assert r.status_code == 422 and "Give the estimated time as HH:MM" in _text(r)
    assert 'id="expected_time-error"' in _text(r)
    r = c.post(
        f"/my/vouchers/{v.id}/predeclaration", data=_form(office, rep_name="", rep_eori="X1")
    )
    assert r.status_code == 422 and "Give the representative&#39;s name" in r.get_data(as_text=True)
    assert _sent(session, v) is None


def test_f50_refusals_one_open_committed_and_on_hold(app, ready, session, world):  # noqa: F811
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = _fr_office(session)
    assert c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(office)).status_code == 303
    r = c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(office))
    assert r.status_code == 422 and "one open pre-declaration at a time" in _text(r)
    # on hold in the territory: refused with the reason
    validation = next(x for x in t.vouchers if x.kind == "validation")
    hold_carnet(session, validation.id, world.officer("ch"), "Check documents")
    session.commit()
    export = next(x for x in t.vouchers if x.kind == "export")
    ch = session.get(Office, world.officer("ch").office.id)
    r = c.post(f"/my/vouchers/{export.id}/predeclaration", data=_form(ch))
    assert r.status_code == 422 and "on hold" in _text(r)


def test_f50_a_committed_voucher_is_refused(app, ready, session, world):  # noqa: F811
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    validation = next(x for x in t.vouchers if x.kind == "validation")
    form_page = c.get(f"/my/vouchers/{validation.id}/predeclaration")
    assert form_page.status_code == 200
    commit_voucher(session, validation.id, world.officer("ch"), fields={"goods_examined": False})
    session.commit()
    ch = session.get(Office, world.officer("ch").office.id)
    r = c.post(f"/my/vouchers/{validation.id}/predeclaration", data=_form(ch))
    assert r.status_code == 422 and "already committed" in _text(r)
    assert f"/my/vouchers/{validation.id}/predeclaration" not in _text(c.get(f"/my/travels/{t.id}"))


def test_f52_acknowledged_then_rejected_arrive_live_with_the_reason(app, ready, session):  # noqa: F811
    from portal.domain.transactions import Officer
    from portal.models import Account

    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = _fr_office(session)
    c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(office))
    p = _sent(session, v)
    page = _text(c.get(f"/my/travels/{t.id}"))
    key = re.search(r"\?k=([0-9A-Za-z.-]+)", page).group(1)
    assert _poll(c, f"/my/travels/{t.id}?k={key}").status_code == 204  # nothing changed
    account = session.scalar(
        select(Account).where(Account.customs_id == office.customs_id, Account.role == "officer")
    )
    fr = Officer(account=account, office=office)
    pd.acknowledge(session, p.id, fr)
    session.commit()
    frag = _poll(c, f"/my/travels/{t.id}?k={key}")
    assert frag.status_code == 200 and "<html" not in _text(frag)
    assert 'data-state="acknowledged"' in _text(frag) and "check-green" in _text(frag)
    pd.reject(session, p.id, fr, "Random inspection")
    session.commit()
    frag = _text(_poll(c, f"/my/travels/{t.id}?k={key}"))
    assert 'data-state="rejected"' in frag and "check-red" in frag
    assert "Random inspection" in frag and "stop at customs for inspection" in frag
    # the notification tab has both
    notes = _text(c.get("/my/notifications"))
    assert "acknowledged" in notes and "rejected" in notes


def test_f50_another_holders_predeclaration_is_404(app, ready, session, make_holder, wallet_client):  # noqa: F811
    c, holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    c.post(f"/my/vouchers/{v.id}/predeclaration", data=_form(_fr_office(session)))
    p = _sent(session, v)
    other = wallet_client(make_holder(given="Eve"))
    assert other.get(f"/my/vouchers/{v.id}/predeclaration").status_code == 404
    assert other.get(f"/my/predeclarations/{p.id}/edit").status_code == 404
    assert other.post(f"/my/predeclarations/{p.id}/withdraw").status_code == 404
    assert _sent(session, v).state == "pending"
