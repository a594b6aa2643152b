"""The monitoring screens answer like every list: a history restore (Back after filtering) gets
the whole page, a filter's htmx request the results block (F-62, F-63); ids beyond any range in
a URL or form are a 404, never a 5xx; the pager and the legend say what they mean."""

from __future__ import annotations

import pytest

from tests.support.factory import commit, issue, travel
from tests.support.monitoring import to_check_carnet

RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
FILTER = {"HX-Request": "true", "HX-Trigger": "state"}
BEYOND = ["2147483648", "9223372036854775808", "99999999999999999999999"]


def _transit(world):
    carnet = issue(world, items=2, countries=("FR", "NO"))
    t = travel(world, carnet, "CH", "NO", transits=["FR"])
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    commit(world, t, "transit_open", "fr")
    return carnet


@pytest.mark.parametrize(
    "url",
    [
        "/monitoring/logs?status=to_check",
        "/monitoring/logs?tab=transactions&kind=import",
    ],
)
def test_f63_back_after_filtering_the_logs_gets_the_whole_page(world, login_as, url):
    carnet = to_check_carnet(world)
    fr = login_as("fr", "controller")
    restored = fr.get(url, headers=RESTORE).get_data(as_text=True)
    assert "<html" in restored and "<h1>Logs</h1>" in restored
    assert carnet.carnet_number in restored
    results = fr.get(url, headers=FILTER).get_data(as_text=True)
    assert "<html" not in results and carnet.carnet_number in results


def test_f62_back_after_filtering_the_transits_gets_the_whole_page(world, login_as):
    carnet = _transit(world)
    fr = login_as("fr", "officer")
    url = "/monitoring/transits?state=in_progress"
    restored = fr.get(url, headers=RESTORE).get_data(as_text=True)
    assert "<html" in restored and "<h1>Transit monitoring</h1>" in restored
    assert carnet.carnet_number in restored
    results = fr.get(url, headers=FILTER).get_data(as_text=True)
    assert "<html" not in results and carnet.carnet_number in results


def test_f63_back_to_a_carnets_transactions_or_a_job_gets_the_whole_page(world, login_as):
    carnet = to_check_carnet(world)
    fr = login_as("fr", "controller")
    url = f"/monitoring/logs/carnets/{carnet.id}"
    assert "<html" in fr.get(url, headers=RESTORE).get_data(as_text=True)
    assert "<html" not in fr.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    job = fr.post("/monitoring/reconcile").headers["Location"]
    assert "<html" in fr.get(job, headers=RESTORE).get_data(as_text=True)
    assert "<html" not in fr.get(job, headers={"HX-Request": "true"}).get_data(as_text=True)


@pytest.mark.parametrize("number", BEYOND)
def test_f63_ids_beyond_range_in_monitoring_urls_and_forms_are_404(world, login_as, number):
    fr = login_as("fr", "controller")
    for url in (
        f"/monitoring/logs/carnets/{number}",
        f"/monitoring/logs/transactions/{number}",
        f"/monitoring/transits/{number}",
        f"/monitoring/jobs/{number}",
        f"/monitoring/jobs/{number}/download",
        f"/monitoring/claims/{number}",
        f"/monitoring/claims/new/{number}",
        f"/monitoring/claims/1/evidence/{number}",
        f"/carnets/{number}/audit",
    ):
        assert fr.get(url).status_code == 404, url
    assert fr.post(f"/monitoring/claims/{number}/settle", data={"text": "x"}).status_code == 404
    assert (
        fr.post("/monitoring/claims", data={"carnet_id": number, "reason": "x"}).status_code == 404
    )
    # a filter beyond range lists nothing, it does not fail
    assert fr.get(f"/monitoring/logs?office_id={number}").status_code in (200, 422)
    assert fr.get(f"/monitoring/logs?page={number}").status_code == 200
    r = fr.post("/monitoring/exports/transactions", data={"ids": [number]})
    assert r.status_code == 422


def test_f63_pager_counts_in_words_and_reconciliation_says_what_na_means(world, login_as):
    to_check_carnet(world)
    html = login_as("fr", "controller").get("/monitoring/logs").get_data(as_text=True)
    assert "1 item</span>" in html and "1 items" not in html
    assert (
        'id="reconciliation-legend"' in html and "<strong>N/A</strong>: not reconciled yet" in html
    )


def test_f64_transactions_zip_pdf_never_fetches_a_local_file(world, app, tmp_path):
    """The ZIP export's PDF renderer, given HTML that points at a file of the server: the
    restricted fetcher refuses it (a stylesheet there would change the page size)."""
    import flask

    from jobs.monitoring import render_transaction_pdf

    css = tmp_path / "page.css"
    css.write_text("@page { size: 100mm 50mm; margin: 0 }")
    html = f'<html><head><link rel="stylesheet" href="file://{css}"></head><body>x</body></html>'
    with app.test_request_context(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(flask, "render_template", lambda *a, **k: html)
        pdf = render_transaction_pdf(type("T", (), {"kind": "export", "items": []})(), None)
    assert pdf.startswith(b"%PDF")
    pages = _pdf_objects(pdf)
    assert b"/MediaBox" in pages
    assert b"283.46" not in pages  # 100 mm in points: the local stylesheet was not read
    assert b"841.8" in pages  # the default A4 page


def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects, its compressed streams inflated (page sizes live in them)."""
    import re
    import zlib

    out = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return b"\n".join(out)


@pytest.mark.parametrize("value", ["²", "١٢", "٣" * 12])
def test_f63_digits_that_are_not_ascii_in_filters_and_forms_are_refused_not_a_5xx(
    world, login_as, value
):
    fr = login_as("fr", "controller")
    for url in (
        f"/monitoring/logs?office_id={value}",
        f"/monitoring/logs?q={value}",
        f"/monitoring/logs?tab=transactions&q={value}",
        f"/monitoring/logs?page={value}",
        f"/carnets/audit?eata_id={value}",
    ):
        assert fr.get(url).status_code in (200, 422), url
    assert fr.post("/monitoring/exports/transactions", data={"ids": [value]}).status_code == 422
    assert fr.post("/monitoring/claims", data={"carnet_id": value}).status_code == 404
