"""F-02 with R-04 (F-65): inside a territory (BE and FR in the EU) an administration sees the
transactions of another — kind, office, country, time, goods, state and a cancellation's reason
(F-44) — never the officer's name nor the internal remarks, on every screen and in every export."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from jobs.testing import run_queued_jobs
from portal.domain import visibility
from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Transaction
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL

REMARK = "Driver nervous, check next time"
REASON = "Wrong voucher scanned at the counter"


def _fr_import(world, cancelled: bool = False):
    """A CH carnet exported from CH and imported in FR (EU) with internal remarks; the
    importation cancelled with a reason if asked."""
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    t = travel(world, carnet, "CH", "DE", items=ALL)
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    result = commit(world, t, "import", "fr", fields={"remarks": REMARK, "reference": "FR-REF-1"})
    txn = world.session.get(Transaction, result.transaction_id)
    if cancelled:
        cancel_transaction(
            world.session, txn.id, world.officer("fr"), cancellation_code_of(txn), REASON
        )
        world.session.commit()
    return carnet, txn


def _officer_name(world) -> str:
    return world.officer("fr").account.full_name


def _download(client, job_url: str) -> bytes:
    response = client.get(job_url.rstrip("/") + "/download")
    try:
        assert response.status_code == 200
        return response.get_data()
    finally:
        response.close()


def test_f02_r04_another_administration_of_the_territory_sees_the_transaction_not_who_or_remarks(
    world, login_as
):
    carnet, txn = _fr_import(world)
    name = _officer_name(world)
    be, fr = login_as("be", "controller"), login_as("fr", "controller")
    pages = {
        "list": "/monitoring/logs?tab=transactions",
        "carnet": f"/monitoring/logs/carnets/{carnet.id}",
        "detail": f"/monitoring/logs/transactions/{txn.id}",
        "receipt": f"/monitoring/logs/transactions/{txn.id}?receipt=1",
    }
    for what, url in pages.items():
        seen = be.get(url)
        assert seen.status_code == 200, what
        html = seen.get_data(as_text=True)
        assert "FR-REF-1" in html or what == "carnet", what  # the transaction is there …
        assert txn.office_name in html, what
        assert name not in html and REMARK not in html, what  # … not who nor the remarks
    own = fr.get(pages["detail"]).get_data(as_text=True)
    assert name in own and REMARK in own  # the administration that committed it sees both


def test_f02_r04_domain_history_and_transit_views_hide_the_private_fields(world):
    carnet, txn = _fr_import(world)
    be_id = world.officer("be").account.customs_id
    fr_id = world.officer("fr").account.customs_id
    territory = txn.territory_id
    theirs = visibility.history_seen_by(world.session, carnet.id, territory, be_id)
    mine = visibility.history_seen_by(world.session, carnet.id, territory, fr_id)
    assert [t.kind for t in theirs] == [t.kind for t in mine] == ["validation", "export", "import"]
    assert theirs[-1].officer_name == "" and theirs[-1].remarks == ""
    assert theirs[-1].office_name == txn.office_name and theirs[-1].reference == "FR-REF-1"
    assert mine[-1].officer_name == _officer_name(world) and mine[-1].remarks == REMARK


def test_f02_r04_exports_of_another_administration_carry_neither_officer_nor_remarks(
    world, login_as, app, monkeypatch
):
    carnet, txn = _fr_import(world)
    name = _officer_name(world)
    pdf_html = []

    def spy(html, static_folder):  # the PDF's content, as it is rendered
        pdf_html.append(html)
        return b"%PDF-1.7 spy"

    monkeypatch.setattr("portal.domain.receipts.render_pdf", spy)
    be = login_as("be", "controller")
    r = be.post("/monitoring/exports/transactions", data={"ids": [str(txn.id)]})
    run_queued_jobs(app)
    zf = zipfile.ZipFile(io.BytesIO(_download(be, r.headers["Location"])))
    xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml")).decode()
    assert "FR-REF-1" in xml and txn.office_name in xml
    assert name not in xml and REMARK not in xml and "<officer>" not in xml
    assert len(pdf_html) == 1 and "FR-REF-1" in pdf_html[0]
    assert name not in pdf_html[0] and REMARK not in pdf_html[0]
    r = be.post("/monitoring/exports/list", data={"view": "transactions", "status": "all"})
    run_queued_jobs(app)
    wb = load_workbook(io.BytesIO(_download(be, r.headers["Location"])), read_only=True)
    cells = [v for row in wb.active.iter_rows(values_only=True) for v in row]
    assert "FR-REF-1" in cells and name not in cells and REMARK not in cells
    # FR's own export names its officer
    fr = login_as("fr", "controller")
    r = fr.post("/monitoring/exports/transactions", data={"ids": [str(txn.id)]})
    run_queued_jobs(app)
    zf = zipfile.ZipFile(io.BytesIO(_download(fr, r.headers["Location"])))
    xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml")).decode()
    assert name in xml and REMARK in xml


def test_f44_cancellation_reason_shown_in_logs_detail_and_exports(world, login_as, app):
    carnet, txn = _fr_import(world, cancelled=True)
    for cc in ("fr", "be"):  # every officer of the territory sees it
        client = login_as(cc, "controller")
        listed = client.get("/monitoring/logs?tab=transactions&status=cancelled")
        assert REASON in listed.get_data(as_text=True), cc
        # the state filter of the Transactions tab: committed ones only leave it out
        committed = client.get("/monitoring/logs?tab=transactions&status=committed")
        assert REASON not in committed.get_data(as_text=True), cc
        assert REASON in client.get(f"/monitoring/logs/carnets/{carnet.id}").get_data(
            as_text=True
        ), cc
        assert REASON in client.get(f"/monitoring/logs/transactions/{txn.id}").get_data(
            as_text=True
        ), cc
    fr = login_as("fr", "controller")
    r = fr.post("/monitoring/exports/list", data={"view": "transactions", "status": "all"})
    run_queued_jobs(app)
    wb = load_workbook(io.BytesIO(_download(fr, r.headers["Location"])), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][-1] == "Cancellation reason" and REASON in [row[-1] for row in rows[1:]]
    r = fr.post("/monitoring/exports/transactions", data={"ids": [str(txn.id)]})
    run_queued_jobs(app)
    zf = zipfile.ZipFile(io.BytesIO(_download(fr, r.headers["Location"])))
    xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml")).decode()
    assert f"<cancellationReason>{REASON}</cancellationReason>" in xml
