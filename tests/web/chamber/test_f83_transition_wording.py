"""F-83 wording of the transition screens (issue #14): each sentence reads right — the place
refusal of a paper transaction names the transaction without a wrong article; the upload
refusal lists the types readably; the side-by-side rows use the kinds' labels, not raw codes;
once the carnet is discharged its cover-page section says why nothing can be attached."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.models import Country
from tests.web.chamber.test_f74_chamber_discharge_or_cancel import _form, _paper


@pytest.fixture
def paper_ch(ata_statuses, session):
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()


@pytest.mark.usefixtures("paper_ch")
def test_f83_chamber_transition_wording(chamber_client, associations, issue_for, session):
    carnet = issue_for(associations[0], in_wallet=False)
    today = now_utc().date()
    # an exportation recorded abroad: refused, in a sentence without a wrong article
    r = _paper(chamber_client, carnet, "export", "FR", today, "E-1")
    assert r.status_code == 422
    assert "A exportation" not in r.text
    assert (
        "This transaction (exportation) is made in the carnet&#39;s departure country, "
        "not in France." in r.text
    )
    # the upload refusal lists the types readably
    up = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cover-pages",
        data=_form(chamber_client, {"file": (io.BytesIO(b"#!/bin/sh\n"), "x.pdf")}),
        content_type="multipart/form-data",
    )
    assert up.status_code == 422 and "Send a PDF, PNG or JPEG file (checked" in up.text
    # the rows use the kinds' labels
    assert _paper(chamber_client, carnet, "validation", "CH", today, "V-1").status_code == 303
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert re.search(
        r'data-kind="validation">.*?<strong>Validation</strong> · Switzerland', page.text, re.S
    )
    assert "<strong>validation</strong>" not in page.text
    assert 'id="cover-pages-closed"' not in page.text  # a cover page may be attached
    # discharged: the cover-page section says why nothing can be attached
    done = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert done.status_code == 303, done.text
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert re.search(
        r'id="cover-pages-closed"><small>The carnet is discharged: no cover page can be '
        r"attached any more\.",
        page.text,
    )
    assert "A paper cover page is attached only to a carnet validated on paper" not in page.text
