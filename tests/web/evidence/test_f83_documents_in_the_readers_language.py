"""F-83 for documents: the receipt PDF and the XLSX export are written in their reader's language
(the text of the PDF itself is read back; the export's column headers)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update

from jobs.testing import run_queued_jobs
from portal.extensions import db as database
from portal.models import Account, Transaction
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import to_check_carnet


def _speaks(account: Account, lang: str) -> dict:
    """The account's stored language and the browser's, both `lang` (whichever the request's
    language is taken from)."""
    with database.new_session() as s:
        s.execute(update(Account).where(Account.id == account.id).values(language=lang))
        s.commit()
    return {"Accept-Language": lang}


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _receipt_pdf(world, login_as, account_of, lang: str) -> str:
    carnet = issue(world, items=2)
    t = travel(world, carnet, "CH", "FR")
    txn_id = commit(world, t, "validation", "ch").transaction_id
    desk = login_as("ch", "officer")
    headers = _speaks(account_of("ch", "officer"), lang)
    r = desk.get(f"/transactions/{txn_id}/receipt.pdf", headers=headers)
    assert r.status_code == 200
    return _pdf_text(r.get_data())


def test_f83_receipt_pdf_in_french(world, login_as, account_of):
    text = _receipt_pdf(world, login_as, account_of, "fr")
    for words in ("Récépissé douanier eATA", "B. Titulaire", "D. Bureau", "Marchandises"):
        assert words in text, words
    assert "Code de vérification" in text and "CARNET ATA" in text
    for english in ("customs receipt", "B. Holder", "Goods", "Verification code"):
        assert english not in text, english


def test_f83_receipt_pdf_stays_english_for_an_english_reader(world, login_as, account_of):
    text = _receipt_pdf(world, login_as, account_of, "en")
    assert "eATA customs receipt" in text and "B. Holder" in text
    assert "Récépissé" not in text


def _export_headers(world, login_as, account_of, app, lang: str) -> tuple[list, str]:
    to_check_carnet(world)
    fr = login_as("fr", "controller")
    headers = _speaks(account_of("fr", "controller"), lang)
    r = fr.post(
        "/monitoring/exports/list",
        data={"view": "transactions", "status": "all"},
        headers=headers,
    )
    assert r.status_code == 303
    run_queued_jobs(app)
    job_url = r.headers["Location"]
    page = fr.get(job_url, headers=headers).get_data(as_text=True)
    response = fr.get(job_url.rstrip("/") + "/download", headers=headers)
    try:
        assert response.status_code == 200
        data = response.get_data()
    finally:
        response.close()
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) == 4 and world.session.query(Transaction).count() == 3
    return list(rows[0]), page


def test_f83_xlsx_export_headers_in_french(world, login_as, account_of, app):
    headers, page = _export_headers(world, login_as, account_of, app, "fr")
    assert headers[:5] == ["Carnet", "Type", "Opération", "État", "Heure"]
    assert "Numéro de référence douanier" in headers and "Motif d'annulation" in headers
    assert "Customs reference number" not in headers
    assert "3 lignes exportées." in page  # the job's message, written in the asker's language


def test_f83_xlsx_export_headers_stay_english_for_an_english_reader(
    world, login_as, account_of, app
):
    headers, page = _export_headers(world, login_as, account_of, app, "en")
    assert headers[:5] == ["Carnet", "Type", "Transaction", "State", "Time"]
    assert "Customs reference number" in headers and "3 rows exported." in page
