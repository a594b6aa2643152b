"""R-10 at the desk: a forged or altered QR payload is a wrong guess like a wrong typed code —
counted against the officer's account and the carnet it names, audited, and locked out with
the same plain message."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.vouchers import MAX_FAILURES, code_of, qr_payload
from portal.models import AuditEvent


def _text(r) -> str:
    return r.get_data(as_text=True)


def test_r10_forged_qr_at_the_desk_is_counted_audited_and_locks_the_carnet(kit, desk, world):
    carnet = kit.issue(items=1)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    d = desk("ch")
    genuine = qr_payload(carnet.eata_id, code_of(voucher))
    forged = genuine[:-4] + ("0000" if not genuine.endswith("0000") else "1111")
    for _ in range(MAX_FAILURES["carnet"]):
        r = d.client.post("/transactions/new", data={"qr": forged, "office_id": str(d.office_id)})
        assert r.status_code == 422 and "not an eATA transaction code" in _text(r)
    world.session.expire_all()
    events = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "voucher.lookup_failed")
    ).all()
    assert len(events) == MAX_FAILURES["carnet"]
    assert all(e.data["forged_qr"] and e.object_id == str(carnet.eata_id) for e in events)
    assert events[-1].actor_id == d.officer.account.id
    # the carnet is locked out: the genuine QR, and the typed code, get the plain message
    r = d.client.post("/transactions/new", data={"qr": genuine, "office_id": str(d.office_id)})
    assert r.status_code == 422 and "Too many wrong codes" in _text(r)
    r = d.lookup(carnet.eata_id, code_of(voucher))
    assert r.status_code == 422 and "Too many wrong codes" in _text(r)


def test_f40_qr_text_typed_by_a_hardware_scanner_into_a_field_is_the_qr_look_up(kit, desk, world):
    """A hardware QR scanner "types" the QR's text and Enter into the focused field: the look-up
    is the camera's (no "Type the transaction code."), in either field, and a forged text is
    refused and counted like a forged scanned QR."""
    carnet = kit.issue(items=1)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    d = desk("ch")
    genuine = qr_payload(carnet.eata_id, code_of(voucher))
    for field in ("carnet", "code"):
        data = {"carnet": "", "code": "", "office_id": str(d.office_id), field: genuine}
        r = d.client.post("/transactions/new", data=data)
        assert r.status_code == 303 and "/transactions/w/" in r.headers["Location"]
    forged = genuine[:-4] + ("0000" if not genuine.endswith("0000") else "1111")
    r = d.client.post("/transactions/new", data={"carnet": forged, "office_id": str(d.office_id)})
    text = _text(r)
    assert r.status_code == 422 and "not an eATA transaction code" in text
    assert "Type the transaction code." not in text and forged not in text
    world.session.expire_all()
    events = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "voucher.lookup_failed")
    ).all()
    assert len(events) == 1 and events[0].data["forged_qr"]
