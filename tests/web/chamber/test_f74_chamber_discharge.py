"""F-74 on the chamber portal: the association's carnets (search, status filter, keyset
pages), a returned carnet's digital and recorded paper transactions side by side, and its
discharge — confirmed first, refused in words in its section, audited; another
association's carnet is a 404 everywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import chambers, transition
from portal.domain.transactions import commit_voucher
from portal.models import AuditEvent, Carnet, Country
from tests.support.factory import travel


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def test_f74_list_search_filter_and_pages(chamber_client, associations, issue_for, session):
    ours, theirs = associations
    mine = [issue_for(ours, in_wallet=False) for _ in range(3)]
    other = issue_for(theirs, in_wallet=False)
    page = chamber_client.get("/chamber/carnets")
    assert page.status_code == 200
    for c in mine:
        assert f'data-carnet="{c.carnet_number}"' in page.text
    assert other.carnet_number not in page.text
    # by carnet number (its beginning), by eATA ID; another association's: nothing
    r = chamber_client.get(f"/chamber/carnets?q={mine[1].carnet_number[:9].lower()}")
    assert f'data-carnet="{mine[1].carnet_number}"' in r.text
    r = chamber_client.get(f"/chamber/carnets?q={mine[2].eata_id}")
    assert re.findall(r'data-carnet="([^"]+)"', r.text) == [mine[2].carnet_number]
    r = chamber_client.get(f"/chamber/carnets?q={other.eata_id}")
    assert 'id="no-carnets"' in r.text
    r = chamber_client.get("/chamber/carnets?q=" + "9" * 40)  # no eATA ID: a number, no error
    assert r.status_code == 200 and 'id="no-carnets"' in r.text
    # the status filter; htmx gets the results only
    session.get(Carnet, mine[0].id).status = "active"
    session.commit()
    r = chamber_client.get("/chamber/carnets?status=active", headers={"HX-Request": "true"})
    assert re.findall(r'data-carnet="([^"]+)"', r.text) == [mine[0].carnet_number]
    assert "<html" not in r.text
    # the status people see: an active carnet past its validity is expired
    stale = session.get(Carnet, mine[0].id)
    stale.valid_until = now_utc().date() - dt.timedelta(days=1)
    session.commit()
    r = chamber_client.get("/chamber/carnets?status=expired", headers={"HX-Request": "true"})
    assert re.findall(r'data-carnet="([^"]+)"', r.text) == [mine[0].carnet_number]
    r = chamber_client.get("/chamber/carnets?status=active", headers={"HX-Request": "true"})
    assert 'id="no-carnets"' in r.text
    # keyset pages, newest first, the cursor carried by Next
    first = chambers.carnets_page(session, ours.id, chambers.CarnetFilter(), per_page=2)
    assert [c.id for c in first.items] == [mine[2].id, mine[1].id] and first.keyset
    second = chambers.carnets_page(
        session, ours.id, chambers.CarnetFilter(page=2), after=first.next_after, per_page=2
    )
    assert [c.id for c in second.items] == [mine[0].id] and not second.has_next


def test_f74_another_associations_carnet_is_a_404(chamber_client, associations, issue_for):
    _ours, theirs = associations
    other = issue_for(theirs, in_wallet=False)
    assert chamber_client.get(f"/chamber/carnets/{other.id}").status_code == 404
    r = chamber_client.post(
        f"/chamber/carnets/{other.id}/discharge", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert r.status_code == 404
    assert chamber_client.get(f"/chamber/carnets/{other.id}/cover-pages/1").status_code == 404
    assert chamber_client.get("/chamber/carnets/99999999999999").status_code == 404


@pytest.mark.usefixtures("ata_statuses")
def test_f74_side_by_side_confirm_then_discharge(
    chamber_client, associations, issue_for, session, world
):
    """Use case 2: a carnet leaving paper Switzerland, validated and exported on paper (the
    chamber's record from the returned paper carnet), imported digitally in France."""
    ours, _ = associations
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    carnet = issue_for(ours)
    today = now_utc().date()
    for kind, number in (("validation", "V-0001"), ("export", "E-0002")):
        transition.record_paper_transaction(
            world.session,
            carnet,
            transition.PaperInput(kind, "CH", "Genève Cornavin", today, number),
            place=None,
            recorded_by="chamber",
            actor_type="api_client",
            today=today,
        )
    world.session.commit()
    out = travel(world, carnet, "CH", "FR")
    imp = next(v for v in out.vouchers if v.kind == "import")
    commit_voucher(world.session, imp.id, world.officer("fr"))
    world.session.commit()
    travel(world, carnet, "FR", "CH")  # prepared, never used: its re-exportation stays open

    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-medium="(\w+)" data-kind="(\w+)">', page.text)
    assert ("paper", "validation") in rows and ("paper", "export") in rows
    assert ("digital", "import") in rows
    assert "V-0001" in page.text and "E-0002" in page.text
    assert "1 unused digital voucher." in page.text
    assert 'id="carnet-holder">Studio Lumière SPRL<' in page.text
    # the goods are still in France: no discharge offered yet, and why
    assert 'data-action=""' in page.text
    assert re.search(r'id="discharge-refusal">.*?The goods are not back', page.text, re.S)

    # the re-importation read on the returned paper carnet, recorded: now it is discharged
    back = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions",
        data=_form(
            chamber_client,
            {
                "kind": "reimport",
                "country_code": "CH",
                "office_name": "Genève Cornavin",
                "made_on": today.isoformat(),
                "counterfoil_no": "R-0003",
            },
        ),
    )
    assert back.status_code == 303, back.text
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert 'data-action="discharge"' in page.text and 'id="discharge-refusal"' not in page.text
    # why not a cancellation, beside it
    assert re.search(r'id="cancel-refusal">.*?already been validated by customs', page.text, re.S)

    # first the confirmation: what it does, how many vouchers it blocks; nothing changed yet
    ask = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge",
        data=_form(chamber_client, {"reason": "returned complete"}),
    )
    assert ask.status_code == 200 and 'id="end-confirm"' in ask.text
    assert "Its 1 unused digital voucher will be blocked." in ask.text
    session.expire_all()
    assert session.get(Carnet, carnet.id).status == "active"
    done = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge",
        data=_form(chamber_client, {"reason": "returned complete", "confirm": "yes"}),
    )
    assert done.status_code == 303
    session.expire_all()
    discharged = session.get(Carnet, carnet.id)
    assert discharged.status == "discharged" and discharged.status_reason == "returned complete"
    assert all(s.remaining == 0 for s in discharged.sets)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "carnet.discharged"))
    assert event.actor_type == "chamber_staff" and event.actor_id == chamber_client.staff_id
    assert event.object_id == str(carnet.eata_id)
    assert "This carnet is discharged." in chamber_client.get(f"/chamber/carnets/{carnet.id}").text


def test_f74_discharge_refused_in_words_next_to_the_button(
    chamber_client, associations, issue_for, session
):
    ours, _ = associations
    carnet = issue_for(ours, in_wallet=False)  # never validated by customs
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    # the page offers the cancellation only, and says why not the discharge
    assert 'data-action="cancel"' in page.text and ">Discharge</button>" not in page.text
    assert re.search(r'id="discharge-refusal">.*?never validated by customs', page.text, re.S)
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge",
        data=_form(chamber_client, {"confirm": "yes"}),
    )
    assert r.status_code == 422
    assert re.search(r'id="end-error"[^>]*>[^<]*Cancel it instead', r.text)
    # in the reader's language
    fr = chamber_client.get(f"/chamber/carnets/{carnet.id}", headers={"Accept-Language": "fr"})
    assert "jamais été validé par la douane : il n&#39;y a rien à apurer" in fr.text
    session.expire_all()
    assert session.get(Carnet, carnet.id).status == "issued"
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "carnet.discharged")) is None
    )
    # without the CSRF token: refused
    raw = chamber_client.client.post(
        f"/chamber/carnets/{carnet.id}/discharge",
        data={"confirm": "yes"},
        base_url=chamber_client.base_url,
    )
    assert raw.status_code == 400


@pytest.mark.usefixtures("ata_statuses")
def test_f74_chamber_records_the_returned_paper_carnets_transactions(
    chamber_client, associations, issue_for, session
):
    """The chamber reads the returned paper carnet and records its counterfoils: they stand in
    the Paper column; a refusal stands next to the form; audited as the staff member."""
    ours, theirs = associations
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    carnet = issue_for(ours, in_wallet=False)
    today = now_utc().date().isoformat()
    paper = {
        "kind": "validation",
        "country_code": "CH",
        "office_name": "Genève Cornavin",
        "made_on": today,
        "counterfoil_no": "V-0007",
    }
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions", data=_form(chamber_client, paper)
    )
    assert r.status_code == 303, r.text
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert re.search(r'<tr data-medium="paper" data-kind="validation">.*?V-0007', page.text, re.S)
    session.expire_all()
    assert session.get(Carnet, carnet.id).status == "active"  # use case 2: validated on paper
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "paper_transaction.recorded")
    )
    assert event.actor_type == "chamber_staff" and event.actor_label == "chloe@cci.test"
    # twice the validation, or no date: refused next to the field, nothing recorded
    again = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions", data=_form(chamber_client, paper)
    )
    assert again.status_code == 422
    assert re.search(r'id="paper-kind-error"[^>]*>[^<]*recorded already', again.text)
    undated = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions",
        data=_form(chamber_client, {**paper, "kind": "export", "made_on": "soon"}),
    )
    assert undated.status_code == 422 and 'id="paper-made_on-error"' in undated.text
    assert len(transition.paper_transactions(session, carnet)) == 1
    # another association's carnet: a 404
    other = issue_for(theirs, in_wallet=False)
    r = chamber_client.post(
        f"/chamber/carnets/{other.id}/paper-transactions", data=_form(chamber_client, paper)
    )
    assert r.status_code == 404


def test_f74_safety_net_a_session_bound_to_an_association_loads_only_its_carnets(
    app, associations, issue_for
):
    """Besides get_for_association_or_404: a session bound to an association (as every staff
    request's is) gets no carnet of another association, whatever the query."""
    from portal.extensions import db as database

    ours, theirs = associations
    mine, other = issue_for(ours, in_wallet=False), issue_for(theirs, in_wallet=False)
    with database.new_session() as s:
        s.info["association_id"] = ours.id
        assert s.scalars(select(Carnet.id)).all() == [mine.id]
        assert s.scalar(select(Carnet).where(Carnet.id == other.id)) is None
        s.info.pop("association_id")
        assert s.scalar(select(Carnet).where(Carnet.id == other.id)) is not None
