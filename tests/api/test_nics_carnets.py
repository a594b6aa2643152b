"""F-20 … F-23, F-25, R-12: issuing carnets through the NICS API and their life-cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import carnets as domain
from portal.domain.passwords import verify_secret
from portal.models import AuditEvent, Carnet
from tests.support.factory import carnet_body


def _row(session, eata_id) -> Carnet:
    session.expire_all()
    return session.scalar(select(Carnet).where(Carnet.eata_id == eata_id))


def test_f22_issue_returns_eata_id_and_pin_and_reads_back_equal(api, session):
    body = carnet_body(items=4)
    r = api.post("/v1/carnets", json=body)
    assert r.status_code == 201
    data = r.get_json()
    eata_id, pin = data["eata_id"], data["pin"]
    assert 100_000_000 <= eata_id <= 999_999_999
    assert len(pin) == 8 and pin.isdigit()
    assert r.headers["Location"] == f"/v1/carnets/{eata_id}"
    row = _row(session, eata_id)
    assert row.pin_hash != pin and verify_secret(row.pin_hash, pin)  # a slow (argon2) hash
    back = api.get(f"/v1/carnets/{eata_id}").get_json()
    assert "pin" not in back
    assert back["holder"] == body["holder"]
    assert back["representatives"] == body["representatives"]
    assert [i["description"] for i in back["items"]] == [i["description"] for i in body["items"]]
    assert [i["marks"] for i in back["items"]] == [i["marks"] for i in body["items"]]
    assert [i["value"] for i in back["items"]] == [f"{i['value']:.2f}" for i in body["items"]]
    assert back["countries"] == sorted(body["countries"])
    assert back["status"] == "issued" and back["order_type"] == "original"
    assert back["sets"]["import_reexport"] == {"issued": 3, "remaining": 3}
    assert back["totals"] == {"item_count": 4, "value": "5012.00", "weight_kg": "10.000"}
    assert back["departure_country"] == "BE" and back["nga"]["country"] == "BE"


def test_f22_find_by_number_and_list_with_pagination(api, issued):
    ids = [issued()[0] for _ in range(3)]
    number = api.get(f"/v1/carnets/{ids[0]}").get_json()["carnet_number"]
    r = api.get(f"/v1/carnets/by-number/{number}")
    assert r.status_code == 200 and r.get_json()["eata_id"] == ids[0]
    assert api.get("/v1/carnets/by-number/BE000").status_code == 404
    page1 = api.get("/v1/carnets?per_page=2").get_json()
    page2 = api.get("/v1/carnets?per_page=2&page=2").get_json()
    assert page1["total"] == 3 and len(page1["items"]) == 2 and len(page2["items"]) == 1
    assert {c["eata_id"] for c in page1["items"] + page2["items"]} == set(ids)
    assert "holder" not in page1["items"][0]
    assert api.get("/v1/carnets?status=issued").get_json()["total"] == 3
    assert api.get("/v1/carnets?status=blocked").get_json()["total"] == 0
    r = api.get("/v1/carnets?page=0&per_page=x")
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"page", "per_page"}


def test_f22_issuing_association_must_be_of_own_nga(api, ngas, session):
    from portal.models import IssuingAssociation

    be_ia = session.scalar(
        select(IssuingAssociation).where(IssuingAssociation.nga_id == ngas["be"][0])
    )
    fr_ia = session.scalar(
        select(IssuingAssociation).where(IssuingAssociation.nga_id == ngas["fr"][0])
    )
    assert (
        api.post("/v1/carnets", json=carnet_body(issuing_association_id=be_ia.id)).status_code
        == 201
    )
    r = api.post("/v1/carnets", json=carnet_body(issuing_association_id=fr_ia.id))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "issuing_association_id"


def test_f23_another_ngas_carnet_is_404_everywhere(api_as, issued):
    eata_id, _, data = issued()
    fr = api_as("fr")
    number = data["carnet"]["carnet_number"]
    for path in (
        f"/v1/carnets/{eata_id}",
        f"/v1/carnets/by-number/{number}",
        f"/v1/carnets/{eata_id}/transactions",
        f"/v1/carnets/{eata_id}/reconciliation",
    ):
        r = fr.get(path)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", path
    for action, body in (
        ("sets", {"kind": "transit", "count": 1}),
        ("cancel", {"reason": "x"}),
        ("block", {"reason": "x"}),
        ("discharge", {}),
        ("replacement", carnet_body()),
    ):
        assert fr.post(f"/v1/carnets/{eata_id}/{action}", json=body).status_code == 404, action
    assert fr.get("/v1/carnets").get_json()["total"] == 0
    assert fr.get(f"/v1/carnets/{eata_id + 1}").status_code == 404


def _put_in_state(session, eata_id: int, state: str) -> None:
    row = _row(session, eata_id)
    if state == "active":
        domain.mark_activated(row)
    elif state == "expired":
        domain.mark_activated(row)
        row.valid_until = now_utc().date() - dt.timedelta(days=1)
    elif state != "issued":
        row.status = state
    session.commit()


ACTIONS = {
    "add_sets": ("sets", {"kind": "transit", "count": 2}),
    "cancel": ("cancel", {"reason": "Issued in error"}),
    "block": ("block", {"reason": "Reported stolen"}),
    "unblock": ("unblock", {"reason": "Found again"}),
    "discharge": ("discharge", {"reason": "Goods back home"}),
}
STATES = ("issued", "active", "blocked", "cancelled", "discharged", "expired")
RESULT = {"cancel": "cancelled", "block": "blocked", "discharge": "discharged"}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_f23_lifecycle_transitions_allowed_and_refused(api, issued, session, state, action):
    eata_id, _, _ = issued()
    _put_in_state(session, eata_id, state)
    before = _row(session, eata_id)
    before_status, before_sets = (
        before.status,
        {s.kind: (s.issued, s.remaining) for s in before.sets},
    )
    path, body = ACTIONS[action]
    r = api.post(f"/v1/carnets/{eata_id}/{path}", json=body)
    if state in domain.ALLOWED_FROM[action]:
        assert r.status_code == 200, r.get_json()
        data = r.get_json()
        if action in RESULT:
            assert data["status"] == RESULT[action]
        elif action == "unblock":
            assert data["status"] == "issued"
        else:
            assert data["sets"]["transit"] == {"issued": 3, "remaining": 3}
        if action == "discharge":
            assert all(s["remaining"] == 0 for s in data["sets"].values())  # F-74
    else:
        assert r.status_code == 409, r.get_json()
        problem = r.get_json()
        assert r.mimetype == "application/problem+json"
        assert problem["detail"].startswith("Carnet ")  # says why, in words
        after = _row(session, eata_id)
        assert after.status == before_status  # and changes nothing
        assert {s.kind: (s.issued, s.remaining) for s in after.sets} == before_sets


def test_r12_refusals_say_why(api, issued, session):
    eata_id, _, _ = issued()
    _put_in_state(session, eata_id, "active")
    detail = api.post(f"/v1/carnets/{eata_id}/cancel", json={"reason": "x"}).get_json()["detail"]
    assert "already been validated" in detail and "Discharge" in detail
    eata_id, _, _ = issued()
    _put_in_state(session, eata_id, "expired")
    detail = api.post(
        f"/v1/carnets/{eata_id}/sets", json={"kind": "transit", "count": 1}
    ).get_json()["detail"]
    expired_on = (now_utc().date() - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"expired on {expired_on}" in detail


def test_f23_unblock_returns_an_activated_carnet_to_active(api, issued, session):
    eata_id, _, _ = issued()
    _put_in_state(session, eata_id, "active")
    assert (
        api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "unpaid"}).get_json()["status"]
        == "blocked"
    )
    assert (
        api.post(f"/v1/carnets/{eata_id}/unblock", json={"reason": "paid"}).get_json()["status"]
        == "active"
    )


def test_f23_sets_have_a_ceiling(api, issued):
    eata_id, _, _ = issued()
    r = api.post(f"/v1/carnets/{eata_id}/sets", json={"kind": "transit", "count": 99})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "count"


@pytest.mark.parametrize(
    "state,allowed",
    [
        ("issued", False),
        ("active", True),
        ("blocked", True),
        ("expired", True),
        ("cancelled", False),
        ("discharged", False),
    ],
)
def test_f23_replacement_is_linked_to_its_original(api, issued, session, state, allowed):
    eata_id, _, data = issued()
    _put_in_state(session, eata_id, state)
    r = api.post(f"/v1/carnets/{eata_id}/replacement", json=carnet_body())
    if not allowed:
        assert r.status_code == 409
        return
    assert r.status_code == 201, r.get_json()
    new = r.get_json()
    assert new["pin"] and new["eata_id"] != eata_id
    assert new["carnet"]["order_type"] == "replacement"
    assert new["carnet"]["links"] == [
        {"kind": "replaces", "eata_id": eata_id, "carnet_number": data["carnet"]["carnet_number"]}
    ]
    original = api.get(f"/v1/carnets/{eata_id}").get_json()
    assert original["links"] == [
        {
            "kind": "replaced_by",
            "eata_id": new["eata_id"],
            "carnet_number": new["carnet"]["carnet_number"],
        }
    ]
    again = api.post(f"/v1/carnets/{eata_id}/replacement", json=carnet_body())
    assert again.status_code == 409 and "already been replaced" in again.get_json()["detail"]


def test_r08_replacement_cannot_stretch_the_stay_beyond_24_months(api, issued, session):
    eata_id, _, _ = issued()
    _put_in_state(session, eata_id, "active")
    row = _row(session, eata_id)
    row.issue_date = now_utc().date() - dt.timedelta(days=700)
    session.commit()
    r = api.post(f"/v1/carnets/{eata_id}/replacement", json=carnet_body())
    assert r.status_code == 422
    assert any("24 months" in e["message"] for e in r.get_json()["errors"])


def test_f20_paper_clone_and_twin_keep_their_paper_number(api):
    clone = carnet_body(format="paper_clone")
    clone["paper_carnet_number"] = clone["carnet_number"]
    r = api.post("/v1/carnets", json=clone)
    assert r.status_code == 201
    assert r.get_json()["carnet"]["links"] == [
        {"kind": "paper_clone", "eata_id": None, "carnet_number": clone["carnet_number"]}
    ]
    twin = carnet_body(format="twin", paper_carnet_number="BE2026PAPER1")
    assert api.post("/v1/carnets", json=twin).status_code == 201
    r = api.post("/v1/carnets", json=carnet_body(format="twin"))
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        {
            "field": "paper_carnet_number",
            "message": "A paper clone or twin names its paper carnet's number.",
        }
    ]


def test_f23_transactions_and_reconciliation_endpoints(api, issued):
    eata_id, _, _ = issued()
    assert api.get(f"/v1/carnets/{eata_id}/transactions").get_json() == {
        "eata_id": eata_id,
        "items": [],
        "page": 1,
        "per_page": 50,
        "total": 0,
    }
    assert api.get(f"/v1/carnets/{eata_id}/reconciliation").get_json() == {
        "eata_id": eata_id,
        "status": "N/A",
        "unbalanced": [],
    }
    assert api.get("/v1/claims").get_json()["items"] == []


def test_f25_every_change_is_audited_with_the_api_client_as_actor(api, ngas, issued, session):
    eata_id, _, _ = issued()
    api.post(f"/v1/carnets/{eata_id}/sets", json={"kind": "transit", "count": 1})
    api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "stolen"})
    api.post(f"/v1/carnets/{eata_id}/cancel", json={"reason": "x"})  # refused: not recorded
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "carnet", AuditEvent.object_id == str(eata_id))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["carnet.issued", "carnet.sets_added", "carnet.blocked"]
    assert {(e.actor_type, e.actor_label) for e in events} == {("api_client", ngas["be"][1])}
    assert events[0].data["before"] is None
    assert events[2].data["before"]["status"] == "issued"
    assert events[2].data["after"]["status"] == "blocked"
    assert events[1].data["after"]["sets"]["transit"] == {"issued": 2, "remaining": 2}
    # the audit trail holds no confidential carnet content
    assert "Lumière" not in str([e.data for e in events])


def test_f25_customs_audit_page_for_logs_permission(api, issued, login_as):
    eata_id, _, _ = issued()
    api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "stolen"})
    controller = login_as("be", "controller")
    r = controller.get(f"/carnets/{eata_id}/audit")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "issued" in page and "blocked" in page and "API client" in page
    assert "status</code>: issued → blocked" in page
    assert "<script>" not in page and "style=" not in page
    assert controller.get("/carnets/999999999/audit").status_code == 404
    assert login_as("be", "officer").get(f"/carnets/{eata_id}/audit").status_code == 403
    r = controller.get(f"/carnets/audit?eata_id={eata_id}")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/carnets/{eata_id}/audit")
    assert controller.get("/carnets/audit?eata_id=abc").status_code == 422


def test_f25_carnet_audit_command(app, api, issued):
    eata_id, _, data = issued()
    api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "stolen"})
    r = app.test_cli_runner().invoke(args=["carnet", "audit", str(eata_id)])
    assert r.exit_code == 0, r.output
    assert data["carnet"]["carnet_number"] in r.output
    assert "carnet.blocked" in r.output and "status: issued → blocked" in r.output
    r = app.test_cli_runner().invoke(args=["carnet", "audit", "1"])
    assert r.exit_code != 0 and "No carnet" in r.output


def test_f22_download_pin_opens_the_carnet_and_nothing_else(issued, session):
    eata_id, pin, _ = issued()
    wrong = "0" * 8 if pin != "0" * 8 else "1" * 8
    assert domain.verify_download_pin(session, eata_id, pin).eata_id == eata_id
    assert domain.verify_download_pin(session, eata_id, wrong) is None
    assert domain.verify_download_pin(session, eata_id + 1, pin) is None
    assert domain.verify_download_pin(session, 10**12, pin) is None
