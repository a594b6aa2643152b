"""F-37 on the chamber portal: the chamber sees the paper cover pages of its carnets, attaches
one through the one upload guard (hostile files refused with a clear message, nothing stored),
and downloads them as attachments that are never sniffed."""

from __future__ import annotations

import io
import os
import time

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Country, CoverPage
from tests.unit.uploads.test_f37_upload_guard import pdf, png


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _upload(client, carnet_id: int, data: bytes, name: str):
    return client.post(
        f"/chamber/carnets/{carnet_id}/cover-pages",
        data=_form(client, {"file": (io.BytesIO(data), name)}),
        content_type="multipart/form-data",
    )


@pytest.fixture
def paper_departure(session, ata_statuses):
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()


@pytest.mark.usefixtures("paper_departure")
def test_f37_hostile_cover_pages_refused_nothing_stored(
    app, chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)
    folder = os.path.join(app.config["STORAGE_DIR"], "cover_pages")
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    hostile = (
        (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "cover.pdf"),
        (b"<svg onload=alert(1)>", "cover.png"),
        (b"MZ\x90\x00" * 10, "cover.jpg"),
        (b"", "empty.pdf"),
    )
    for data, name in hostile:
        start = time.monotonic()
        r = _upload(chamber_client, carnet.id, data, name)
        assert time.monotonic() - start < 2
        assert r.status_code == 422, name
        assert 'id="file-error"' in r.text and 'aria-invalid="true"' in r.text
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == before
    assert session.scalar(select(CoverPage.id)) is None


@pytest.mark.usefixtures("paper_departure")
def test_f37_chamber_attaches_then_downloads_as_attachment(
    chamber_client, associations, issue_for, session, client_for
):
    carnet = issue_for(associations[0], in_wallet=False)
    r = _upload(chamber_client, carnet.id, png(), "Deckblatt.pdf")
    assert r.status_code == 303, r.text
    row = session.scalar(select(CoverPage).where(CoverPage.carnet_id == carnet.id))
    assert row.filename == "Deckblatt.png" and row.uploaded_by_kind == "chamber"
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert "Deckblatt.png" in page.text
    r = chamber_client.get(f"/chamber/carnets/{carnet.id}/cover-pages/{row.id}")
    assert r.status_code == 200 and r.data == png()
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "cover_page.attached"))
    assert event.actor_type == "chamber_staff" and event.actor_id == chamber_client.staff_id


def test_f37_cover_page_of_another_association_is_a_404(
    make_staff, staff_session, associations, issue_for, session, paper_departure
):
    ours, theirs = associations
    carnet = issue_for(ours, in_wallet=False)
    owner = staff_session(make_staff()[0])
    assert _upload(owner, carnet.id, png(), "c.png").status_code == 303
    row = session.scalar(select(CoverPage).where(CoverPage.carnet_id == carnet.id))
    stranger = staff_session(make_staff("vaud@cci.test", association=theirs)[0])
    assert stranger.get(f"/chamber/carnets/{carnet.id}/cover-pages/{row.id}").status_code == 404
    assert _upload(stranger, carnet.id, png(), "c.png").status_code == 404


def test_f37_digitally_validated_carnet_takes_no_cover_page(
    chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)  # Switzerland digital: no paper cover
    r = _upload(chamber_client, carnet.id, png(), "cover.png")
    assert r.status_code == 422 and "paper departure country" in r.text
    assert session.scalar(select(CoverPage.id)) is None


@pytest.mark.usefixtures("paper_departure")
def test_f37_a_refused_upload_keeps_the_carnet_page_address(
    chamber_client, associations, issue_for, session
):
    """htmx: the refusal swaps the cover-page section in place (the address stays the carnet
    page's); without JavaScript the address of the form, opened, leads to the carnet page;
    another association's carnet stays a 404 there."""
    carnet = issue_for(associations[0], in_wallet=False)
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cover-pages",
        data=_form(chamber_client, {"file": (io.BytesIO(b"MZ\x90\x00"), "cover.exe")}),
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert r.text.lstrip().startswith('<section id="cover-pages"') and "<html" not in r.text
    assert 'id="file-error"' in r.text and 'hx-target="#cover-pages"' in r.text
    assert "HX-Push-Url" not in r.headers
    assert session.scalar(select(CoverPage.id)) is None
    opened = chamber_client.get(f"/chamber/carnets/{carnet.id}/cover-pages")
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/chamber/carnets/{carnet.id}")
    theirs = issue_for(associations[1], in_wallet=False)
    assert chamber_client.get(f"/chamber/carnets/{theirs.id}/cover-pages").status_code == 404
