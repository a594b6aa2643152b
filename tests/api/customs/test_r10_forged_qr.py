"""R-10 through the customs API: forged QR payloads count against the same throttles as typed
codes (per client, per carnet), leave an audit event, and a lock-out answers 429."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.domain.vouchers import LOCKOUT, MAX_FAILURES, WINDOW, code_of, qr_payload
from portal.models import AuditEvent, GuessThrottle


def _forged(genuine: str) -> str:
    return genuine[:-4] + ("0000" if not genuine.endswith("0000") else "1111")


def test_r10_forged_qr_is_counted_audited_and_locks_out_with_429(customs_client, kit, world):
    carnet = kit.issue(items=1)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    api, _ = customs_client("ch")
    genuine = qr_payload(carnet.eata_id, code_of(voucher))
    for _ in range(MAX_FAILURES["carnet"]):
        r = api.post("/v1/customs/vouchers/lookup", json={"qr": _forged(genuine)})
        assert r.status_code == 422 and r.get_json()["code"] == "bad_qr"
        assert r.get_json()["errors"][0]["field"] == "qr"
    world.session.expire_all()
    events = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "voucher.lookup_failed")
    ).all()
    assert len(events) == MAX_FAILURES["carnet"] and all(e.data["forged_qr"] for e in events)
    assert (
        world.session.scalar(
            select(GuessThrottle.failures).where(GuessThrottle.subject == f"carnet:{carnet.id}")
        )
        == MAX_FAILURES["carnet"]
    )
    # locked out: the genuine QR and the typed code are refused with a 429 problem
    r = api.post("/v1/customs/vouchers/lookup", json={"qr": genuine})
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    r = api.post(
        "/v1/customs/vouchers/lookup",
        json={"carnet": str(carnet.eata_id), "code": code_of(voucher)},
    )
    assert r.status_code == 429 and "Too many wrong codes" in r.get_json()["detail"]


def test_r10_thresholds_are_the_documented_ones():
    # docs/engine.md and docs/nics-api.md: 10 per carnet, 30 per client, per 15 minutes, then
    # a lock-out of 15 minutes
    assert (MAX_FAILURES["carnet"], MAX_FAILURES["client"]) == (10, 30)
    assert WINDOW == LOCKOUT == dt.timedelta(minutes=15)


def test_r10_garbage_qr_counts_against_the_client(customs_client, kit, world):
    api, _ = customs_client("ch")
    for _ in range(MAX_FAILURES["client"]):
        r = api.post("/v1/customs/vouchers/lookup", json={"qr": "not a qr"})
        assert r.status_code == 422
    r = api.post("/v1/customs/vouchers/lookup", json={"qr": "not a qr"})
    assert r.status_code == 429
    # another client of the same administration is not locked out
    other, _ = customs_client("ch")
    assert other.post("/v1/customs/vouchers/lookup", json={"qr": "x"}).status_code == 422
