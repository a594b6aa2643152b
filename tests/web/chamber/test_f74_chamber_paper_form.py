"""F-74 on the chamber portal: the form that records a transaction read on the returned paper
carnet behaves like the app's other forms — a refusal keeps what was typed and puts each message
next to its own field (several at once), records nothing; htmx gets the form's section back in
place (a 422 it swaps), a plain form the whole page; a success goes back to the carnet page
(POST-redirect-GET, or HX-Redirect for htmx)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.db import now_utc
from portal.models import AuditEvent, Country, PaperTransaction

pytestmark = pytest.mark.usefixtures("ata_statuses")

HX = {"HX-Request": "true", "HX-Current-URL": "http://chamber.localhost/chamber/carnets/1"}


def _post(client, carnet, data: dict, headers=None):
    return client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions",
        data={"csrf_token": client.csrf_token(), **data},
        headers=headers or {},
    )


def _error(text: str, name: str) -> str | None:
    """The message shown next to the field `name` (its <small id="paper-NAME-error">)."""
    m = re.search(rf'<small id="paper-{name}-error" class="field-error">([^<]*)</small>', text)
    return m.group(1) if m else None


def _nothing_recorded(session) -> bool:
    session.expire_all()
    return (
        session.scalar(select(func.count(PaperTransaction.id))) == 0
        and session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "paper_transaction.recorded")
        )
        is None
    )


@pytest.fixture
def paper_ch(ata_statuses, session):
    """Switzerland a paper country (the carnets of the factory leave from it); the statuses
    saved first, so they are given back as loaded."""
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()


@pytest.mark.usefixtures("paper_ch")
def test_f74_paper_form_refusal_keeps_the_values_and_puts_each_error_next_to_its_field(
    chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)
    typed = {
        "kind": "import",
        "country_code": "ZZ",
        "office_name": "",
        "made_on": "31/05/2026",
        "counterfoil_no": "I-" + "9" * 45,
    }
    r = _post(chamber_client, carnet, typed)
    # without JavaScript: the whole page again, the form open, as typed
    assert r.status_code == 422 and "<html" in r.text
    assert '<details id="record-paper" open>' in r.text
    assert _error(r.text, "country_code") == "Choose the country where it was made."
    assert _error(r.text, "office_name").startswith("Give the customs office")
    assert _error(r.text, "made_on") == "Give the date of the transaction."
    assert _error(r.text, "counterfoil_no").startswith("Give the counterfoil or voucher number")
    assert _error(r.text, "kind") is None  # the kind was right
    assert re.search(r'<option value="import" selected>Import', r.text)
    assert 'value="ZZ"' in r.text and 'value="31/05/2026"' in r.text
    assert f'value="{typed["counterfoil_no"]}"' in r.text
    # each field points to its own message
    assert re.search(r'id="paper-country"[^>]*aria-describedby="paper-country_code-error"', r.text)
    assert re.search(r'id="paper-date"[^>]*aria-describedby="paper-made_on-error"', r.text)
    assert not re.search(r'id="paper-kind"[^>]*aria-invalid', r.text)
    assert _nothing_recorded(session)


@pytest.mark.usefixtures("paper_ch")
def test_f74_paper_form_refusals_of_the_rules_stand_next_to_the_field_concerned(
    chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)
    today = now_utc().date()
    good = {
        "kind": "validation",
        "country_code": "CH",
        "office_name": "Genève Cornavin",
        "made_on": today.isoformat(),
        "counterfoil_no": "V-1",
    }
    # a validation is made at home: the country is wrong, not the counterfoil number
    r = _post(chamber_client, carnet, {**good, "country_code": "fr"})
    assert r.status_code == 422
    assert "made in the carnet&#39;s departure country" in _error(r.text, "country_code")
    assert _error(r.text, "counterfoil_no") is None
    # a date in the future, or before the carnet's issue (in the page's date format)
    r = _post(
        chamber_client, carnet, {**good, "made_on": (today + dt.timedelta(days=1)).isoformat()}
    )
    assert _error(r.text, "made_on") == "The date cannot be in the future."
    r = _post(chamber_client, carnet, {**good, "made_on": "2020-01-01"})
    issued = carnet.issue_date.strftime("%d/%m/%Y")
    assert _error(r.text, "made_on") == f"The date is before the carnet&#39;s issue ({issued})."
    assert f"<dd>{issued}</dd>" in r.text  # the same date, as the page shows it
    # an importation abroad in a country outside Box P: next to the country
    r = _post(chamber_client, carnet, {**good, "kind": "import", "country_code": "TR"})
    assert "not listed in Box P" in _error(r.text, "country_code")
    assert _nothing_recorded(session)


@pytest.mark.usefixtures("paper_ch")
def test_f74_paper_form_with_htmx_swaps_its_section_and_redirects_on_success(
    chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert re.search(
        r'<form method="post" action="/chamber/carnets/\d+/paper-transactions#record-paper" '
        r'id="paper-form" novalidate hx-post="[^"]+" hx-target="#record-paper" '
        r'hx-swap="outerHTML">',
        page.text,
    )
    typed = {
        "kind": "export",
        "country_code": "CH",
        "office_name": "Genève Cornavin",
        "made_on": "",
        "counterfoil_no": "E-7",
    }
    r = _post(chamber_client, carnet, typed, HX)
    # the section only (htmx swaps a 422 in place: the address stays the carnet page's)
    assert r.status_code == 422 and "<html" not in r.text
    assert r.text.lstrip().startswith('<details id="record-paper" open>')
    assert _error(r.text, "made_on") == "Give the date of the transaction."
    assert re.search(r'<option value="export" selected>Export', r.text)
    assert 'value="Genève Cornavin"' in r.text and 'value="E-7"' in r.text
    assert _nothing_recorded(session)

    ok = _post(
        chamber_client,
        carnet,
        {**typed, "kind": "validation", "made_on": str(now_utc().date())},
        HX,
    )
    assert ok.status_code == 200
    assert ok.headers["HX-Redirect"] == f"/chamber/carnets/{carnet.id}"
    plain = _post(
        chamber_client,
        carnet,
        {**typed, "made_on": str(now_utc().date()), "counterfoil_no": "E-8"},
    )
    assert plain.status_code == 303  # POST-redirect-GET: a reload does not record it twice
    assert plain.headers["Location"].endswith(f"/chamber/carnets/{carnet.id}")
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert "The paper transaction is recorded in the carnet&#39;s history." in page.text
    session.expire_all()
    assert [p.counterfoil_no for p in session.scalars(select(PaperTransaction))] == ["E-7", "E-8"]


def test_f74_the_forms_addresses_opened_lead_to_the_carnet_page(
    chamber_client, associations, issue_for
):
    ours, theirs = associations
    carnet = issue_for(ours, in_wallet=False)
    for action in ("paper-transactions", "discharge", "cancel"):
        r = chamber_client.get(f"/chamber/carnets/{carnet.id}/{action}")
        assert r.status_code == 303 and r.headers["Location"].endswith(
            f"/chamber/carnets/{carnet.id}"
        )
    other = issue_for(theirs, in_wallet=False)
    assert chamber_client.get(f"/chamber/carnets/{other.id}/paper-transactions").status_code == 404
