"""The public side of the evidence (docs/evidence.md): the keys and the revocation list at
/.well-known/ and in the NICS API, the verification page, the receipt screens, and the holder's
signed statement from the wallet."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from portal.domain import evidence, receipts, signing
from portal.domain import evidence_verify as ev
from portal.domain.transactions import cancel_transaction
from portal.extensions import db as database
from portal.models import AuditEvent, Holder, Transaction
from tests.support.factory import commit, issue, travel


def _receipt(world, kind="validation"):
    carnet = issue(world, items=2)
    t = travel(world, carnet, "CH", "FR")
    result = commit(world, t, "validation", "ch")
    if kind == "export":
        result = commit(world, t, "export", "ch")
    txn = world.session.get(Transaction, result.transaction_id)
    return carnet, txn, result, receipts.verification_payload_of(world.session, txn)


def test_evidence_keys_are_published_at_the_well_known_url_and_in_the_nics_api(world, client_for):
    wallet = client_for("wallet")
    r = wallet.client.get("/.well-known/eata-receipt-keys.json", base_url=wallet.base_url)
    assert r.status_code == 200 and "public" in r.headers["Cache-Control"]
    doc = r.get_json()
    assert doc == signing.keyring().published()
    assert doc["keys"][0]["alg"] == "Ed25519" and doc["signing_kid"] == doc["keys"][0]["kid"]
    api = client_for("api")
    assert api.client.get("/v1/receipt-keys", base_url=api.base_url).get_json() == doc
    spec = api.client.get("/v1/openapi.json", base_url=api.base_url).get_json()
    assert "/receipt-keys" in spec["paths"] and "/receipt-revocations" in spec["paths"]
    # not on a customs host
    customs = client_for("customs", "ch")
    r = customs.client.get("/.well-known/eata-receipt-keys.json", base_url=customs.base_url)
    assert r.status_code == 404


def test_evidence_revocation_list_is_signed_and_names_a_cancelled_receipt(world, client_for):
    _carnet, txn, result, qr = _receipt(world, "export")
    cancel_transaction(world.session, txn.id, world.officer("ch"), result.cancellation_code, "x")
    world.session.commit()
    wallet = client_for("wallet")
    doc = wallet.client.get(
        "/.well-known/eata-receipt-revocations.json", base_url=wallet.base_url
    ).get_json()
    keys = ev.load_keys(signing.keyring().published())
    revoked = ev.load_revocations(doc, keys)
    assert evidence.receipt_id_of(txn) in revoked
    assert ev.verify(qr, keys, revoked).status == ev.REVOKED
    api = client_for("api")
    assert api.client.get("/v1/receipt-revocations", base_url=api.base_url).status_code == 200


def test_evidence_verification_page_says_valid_invalid_revoked(world, client_for):
    _carnet, txn, result, qr = _receipt(world, "export")
    page = client_for("wallet")
    r = page.post("/verify", data={"qr": qr})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Valid" in html and txn.office_name in html
    r = page.post("/verify", data={"qr": qr.replace("|CH|", "|DE|")})
    assert "Invalid" in r.get_data(as_text=True)
    cancel_transaction(world.session, txn.id, world.officer("ch"), result.cancellation_code, "x")
    world.session.commit()
    assert "Revoked" in page.post("/verify", data={"qr": qr}).get_data(as_text=True)
    # nothing pasted: the message is next to the field
    r = page.post("/verify", data={"qr": "  "})
    assert r.status_code == 422 and 'id="qr-error"' in r.get_data(as_text=True)
    # without the CSRF token: refused
    raw = page.client.post("/verify", data={"qr": qr}, base_url=page.base_url)
    assert raw.status_code == 400


def test_evidence_receipt_screen_and_pdf_carry_the_signed_qr(world, login_as):
    carnet, txn, _result, qr = _receipt(world)
    desk = login_as("ch", "officer")
    page = desk.get(f"/transactions/{txn.id}/receipt").get_data(as_text=True)
    assert "Signed receipt" in page
    svg = desk.get(f"/transactions/{txn.id}/qr.svg").get_data()
    assert svg == receipts._qr_file(qr)
    pdf = desk.get(f"/transactions/{txn.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")


def test_evidence_holder_downloads_a_signed_statement_of_the_history(
    world, client_for, app, monkeypatch
):

    carnet, txn, _result, receipt_qr = _receipt(world, "export")
    captured = {}
    real = receipts.render_pdf

    def spy(html, static_folder):
        captured["html"] = html
        return real(html, static_folder)

    monkeypatch.setattr(receipts, "render_pdf", spy)
    client = _holder_client(app, client_for, world.holder)
    r = client.get(f"/my/carnets/{carnet.id}/statement.pdf")
    assert r.status_code == 200 and r.get_data().startswith(b"%PDF")
    assert "attachment" in r.headers["Content-Disposition"]
    html = captured["html"]
    signed = re.search(r'<div class="signed">(.*?)</div>', html, re.S).group(1)
    signed = signed.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')
    lines = signed.strip().split("\n")
    assert len(lines) == 2 and lines[-1] == receipt_qr.rpartition("|")[0] + "|committed"
    # the statement's QR: valid, and it signs exactly this text
    event = world.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "carnet.statement_issued")
    )
    head = event.data["qr"]
    assert event.chain == f"nga:{carnet.nga_id}"
    fields = ev.parse_statement(head + "|x")
    assert fields["transactions"] == "2"
    assert fields["digest"] == ev.b64u(hashlib.sha256(signed.strip().encode()).digest())
    # another holder: no such carnet
    other = Holder(
        kind="private",
        given_names="Bo",
        surname="Other",
        email="bo@example.test",
        country_code="CH",
    )
    world.session.add(other)
    world.session.commit()
    assert (
        _holder_client(app, client_for, other)
        .get(f"/my/carnets/{carnet.id}/statement.pdf")
        .status_code
        == 404
    )


def test_evidence_statement_qr_verifies(world):
    carnet, _txn, _result, _qr = _receipt(world)
    st = evidence.statement(world.session, carnet)
    keys = ev.load_keys(signing.keyring().published())
    assert ev.verify(st["qr_text"], keys).ok
    assert evidence.statement_digest_matches(st["qr_text"], st["signed_text"])
    assert not evidence.statement_digest_matches(st["qr_text"], st["signed_text"] + "x")


def _holder_client(app, client_for, holder):
    from portal.db import now_utc
    from portal.domain import wallet as wallet_domain

    client = client_for("wallet")
    with database.new_session() as s:
        hs = wallet_domain.open_holder_session(s, s.get(Holder, holder.id), mfa_pending=False)
        hs.unlocked_at = now_utc()
        s.commit()
        sid = hs.id
    with client.client.session_transaction(base_url=client.base_url) as sess:
        sess["_user_id"] = f"h:{sid}"
        sess["_fresh"] = True
    return client
