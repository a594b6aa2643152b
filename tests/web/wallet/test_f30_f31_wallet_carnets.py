"""F-30, F-31, R-10: download by ID/number + PIN or QR text, the rate limit, details, signing."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain import vouchers as voucher_domain
from portal.models import AuditEvent, Signature, WalletCarnet


def _download(c, ref, pin):
    return c.post("/my/carnets/download", data={"carnet_ref": ref, "pin": pin})


def test_f30_download_with_right_pin_by_id_and_by_number(
    app, make_holder, wallet_client, issue, session
):
    holder = make_holder()
    c = wallet_client(holder)
    one, two = issue(), issue()
    r = _download(c, str(one.eata_id), one.pin)
    assert r.status_code == 303 and f"/my/carnets/{one.carnet_id}" in r.headers["Location"]
    r = _download(c, two.number.lower(), two.pin)
    assert r.status_code == 303
    page = c.get("/my/carnets")
    assert one.number in page.text and two.number in page.text
    assert session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "carnet.downloaded", AuditEvent.object_id == str(one.eata_id)
        )
    )


def test_f30_download_from_qr_text(app, make_holder, wallet_client, issue):
    c = wallet_client(make_holder())
    one = issue()
    r = c.post("/my/carnets/download", data={"qr_text": f"EATA-DL:{one.eata_id}:{one.pin}"})
    assert r.status_code == 303
    r = c.post("/my/carnets/download", data={"qr_text": "hello"})
    assert r.status_code == 422 and "does not hold a carnet ID and PIN" in r.text


def test_f30_download_page_loads_the_scanner_only_there(app, make_holder, wallet_client):
    c = wallet_client(make_holder())
    assert "qr-scanner.umd.min.js" in c.get("/my/carnets/download").text
    assert "qr-scanner.umd.min.js" not in c.get("/my/carnets").text


def test_r10_wrong_pin_refused_audited_and_rate_limited_per_carnet(
    app, make_holder, wallet_client, issue, session
):
    one = issue()
    holders = [make_holder(given=f"H{i}") for i in range(2)]
    clients = [wallet_client(h) for h in holders]
    for n in range(voucher_domain.MAX_FAILURES["carnet"]):
        r = _download(clients[n % 2], str(one.eata_id), "00000000")
        assert r.status_code in (422, 429)
        assert "do not match" in r.text or "Too many" in r.text
    # the carnet is locked for everyone, even with the right PIN
    r = _download(clients[0], str(one.eata_id), one.pin)
    assert (
        r.status_code == 429
        and "Too many wrong PINs for this carnet or from your account" in r.text
    )
    assert session.scalar(select(WalletCarnet.id)) is None
    failures = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "carnet.download_failed")
    ).all()
    assert len(failures) == voucher_domain.MAX_FAILURES["carnet"]


def test_r10_wrong_pins_rate_limited_per_account(app, make_holder, wallet_client, issue):
    c = wallet_client(make_holder())
    carnets = [issue(items=1) for _ in range(voucher_domain.MAX_FAILURES["holder"] + 1)]
    for one in carnets[:-1]:
        assert _download(c, str(one.eata_id), "11112222").status_code in (422, 429)
    last = carnets[-1]
    r = _download(c, str(last.eata_id), last.pin)
    assert r.status_code == 429
    # another holder is not blocked
    other = wallet_client(make_holder(given="Other"))
    assert _download(other, str(last.eata_id), last.pin).status_code == 303


def test_f31_details_and_first_use_signature(app, make_holder, wallet_client, issue, session):
    holder = make_holder()
    c = wallet_client(holder)
    one = issue(items=2)
    _download(c, str(one.eata_id), one.pin)
    page = c.get(f"/my/carnets/{one.carnet_id}")
    assert "Camera body Arri Alexa SN 1001" in page.text and "sign the general list" in page.text
    # no travel before signing
    r = c.get(f"/my/carnets/{one.carnet_id}/travels/new")
    assert r.status_code == 302
    r = c.post(
        f"/my/carnets/{one.carnet_id}/accept", data={"signed_name": "Someone Else", "accept": "y"}
    )
    assert r.status_code == 422 and "legal name as registered" in r.text
    r = c.post(
        f"/my/carnets/{one.carnet_id}/accept", data={"signed_name": "anne  PEETERS", "accept": "y"}
    )
    assert r.status_code == 303
    assert (
        session.scalar(select(Signature.kind).where(Signature.holder_id == holder.id))
        == "general_list"
    )
    for tab, text in (("boxp", "Norway"), ("sets", "transit"), ("history", "No transaction")):
        assert text in c.get(f"/my/carnets/{one.carnet_id}?tab={tab}").text
    share = c.get(f"/my/carnets/{one.carnet_id}/share")
    assert "You remain liable" in share.text


def test_f31_another_holders_carnet_is_404(app, make_holder, wallet_client, issue):
    one = issue()
    owner = wallet_client(make_holder())
    _download(owner, str(one.eata_id), one.pin)
    stranger = wallet_client(make_holder(given="Mallory"))
    assert stranger.get(f"/my/carnets/{one.carnet_id}").status_code == 404
    assert stranger.get(f"/my/carnets/{one.carnet_id}/travels/new").status_code == 404
    assert (
        stranger.post(
            f"/my/carnets/{one.carnet_id}/accept",
            data={"signed_name": "Mallory Peeters", "accept": "y"},
        ).status_code
        == 404
    )
    assert one.number not in stranger.get("/my/carnets").text
