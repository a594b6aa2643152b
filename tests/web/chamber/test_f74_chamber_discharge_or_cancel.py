"""F-74 and F-23 on the chamber portal: the end of a carnet. The page offers the one action
that applies and says why the other does not —

- never validated by customs (digitally or on paper): cancellation (the issuing association's
  right, as through its NICS), confirmed first;
- validated, digitally or by a recorded paper validation: discharge, once the goods are back
  (no movement after the last re-importation, digital or paper); before, neither, and why;

and the POST refuses what the page does not offer, changing nothing. A recorded paper validation
counts as validation for the life-cycle rules of the NICS API too (one rule:
carnets.lifecycle.lifecycle_status).

F-72 in a digital departure country (Belgium, digital since 1 June 2026): its customs still
stamp the paper carnet's cover (use cases 4 and 6), so a paper validation there is recorded;
a new exportation there is digital, so a paper one is refused — unless it was made before the
switch date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.db import now_utc
from portal.domain import Conflict, api_clients, carnets
from portal.models import AuditEvent, Carnet, Country, PaperTransaction

pytestmark = pytest.mark.usefixtures("ata_statuses")

SWITCH = dt.date(2026, 6, 1)  # Belgium's digital date (portal/data/ata_status.csv)


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _paper(client, carnet, kind, country, made_on: dt.date, number: str):
    return client.post(
        f"/chamber/carnets/{carnet.id}/paper-transactions",
        data=_form(
            client,
            {
                "kind": kind,
                "country_code": country,
                "office_name": "Bureau de douane",
                "made_on": made_on.isoformat(),
                "counterfoil_no": number,
            },
        ),
    )


def _action(page) -> str:
    return re.search(r'id="carnet-actions"[^>]*data-action="(\w*)"', page.text).group(1)


def _status(session, carnet) -> str:
    session.expire_all()
    return session.get(Carnet, carnet.id).status


@pytest.fixture
def belgian(associations, issue_for, session):
    """A carnet of ours leaving digital Belgium for paper Türkiye (use case 4), issued in May
    2026, before Belgium's switch."""

    def make(**kw) -> Carnet:
        be = session.get(Country, "BE")
        assert be.ata_status == "digital" and be.digital_from == SWITCH
        kw.setdefault("issue_date", dt.date(2026, 5, 4))
        kw.setdefault("valid_days", 360)
        return issue_for(
            associations[0], in_wallet=False, departure="BE", countries=("TR", "FR"), **kw
        )

    return make


def test_f23_a_never_validated_carnet_is_cancelled_after_a_confirmation(
    chamber_client, associations, issue_for, session
):
    carnet = issue_for(associations[0], in_wallet=False)
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert _action(page) == "cancel" and ">Cancel the carnet</button>" in page.text
    assert re.search(r'id="discharge-refusal">.*?never validated by customs', page.text, re.S)
    assert 'id="carnet-validated">not yet<' in page.text

    ask = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cancel",
        data=_form(chamber_client, {"reason": "issued in error"}),
        headers={"HX-Request": "true"},
    )
    # htmx: the section only, asking first; nothing changed yet
    assert ask.status_code == 200 and "<html" not in ask.text
    assert f"Cancel carnet {carnet.carnet_number}?" in ask.text
    assert ">Yes, cancel the carnet</button>" in ask.text
    assert 'name="reason" value="issued in error"' in ask.text
    assert _status(session, carnet) == "issued"

    done = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cancel",
        data=_form(chamber_client, {"reason": "issued in error", "confirm": "yes"}),
    )
    assert done.status_code == 303
    session.expire_all()
    cancelled = session.get(Carnet, carnet.id)
    assert cancelled.status == "cancelled" and cancelled.status_reason == "issued in error"
    assert all(s.remaining == 0 for s in cancelled.sets)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "carnet.cancelled"))
    assert event.actor_type == "chamber_staff" and event.actor_id == chamber_client.staff_id
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert "This carnet is cancelled." in page.text
    assert 'id="record-paper"' not in page.text and 'id="paper-form"' not in page.text
    # twice: refused in words, nothing changes
    again = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cancel",
        data=_form(chamber_client, {"confirm": "yes"}),
    )
    assert again.status_code == 422 and "has been cancelled" in again.text
    assert session.scalar(select(func.count()).where(AuditEvent.action == "carnet.cancelled")) == 1


def test_f74_a_validated_carnet_is_not_cancelled(chamber_client, associations, issue_for, session):
    carnet = issue_for(associations[0], in_wallet=False)
    session.get(Carnet, carnet.id).status = "active"
    session.get(Carnet, carnet.id).activated_at = now_utc()
    session.commit()
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert _action(page) == "discharge" and ">Cancel the carnet</button>" not in page.text
    assert re.search(r'id="cancel-refusal">.*?already been validated by customs', page.text, re.S)
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cancel", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert r.status_code == 422
    assert re.search(r'id="end-error"[^>]*>[^<]*can no longer be cancelled', r.text)
    assert _status(session, carnet) == "active"


@pytest.mark.parametrize("reimport", ["paper", "none"])
def test_f74_discharge_waits_until_the_goods_are_back(
    chamber_client, associations, issue_for, session, reimport
):
    """Validated and exported on paper in (paper) Switzerland: no discharge — nor cancellation —
    until the re-importation is recorded; then the discharge."""
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    carnet = issue_for(associations[0], in_wallet=False)
    today = now_utc().date()
    assert _paper(chamber_client, carnet, "validation", "CH", today, "V-1").status_code == 303
    assert _paper(chamber_client, carnet, "export", "CH", today, "E-1").status_code == 303
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert _action(page) == ""
    assert ">Discharge</button>" not in page.text and ">Cancel the carnet</button>" not in page.text
    assert re.search(
        r'id="discharge-refusal">.*?The goods are not back: after the exportation in '
        r"Switzerland on \d\d/\d\d/\d{4} no re-importation is recorded",
        page.text,
        re.S,
    )
    assert re.search(r'id="cancel-refusal">.*?can no longer be cancelled', page.text, re.S)
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert r.status_code == 422 and "The goods are not back" in r.text
    assert _status(session, carnet) == "active"
    if reimport == "none":
        return
    assert _paper(chamber_client, carnet, "reimport", "CH", today, "R-1").status_code == 303
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert _action(page) == "discharge"
    r = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert r.status_code == 303 and _status(session, carnet) == "discharged"


def test_f74_after_a_paper_validation_in_belgium_the_carnet_is_discharged_not_cancelled(
    chamber_client, belgian, session, world
):
    """Use case 4: Belgian customs stamp the paper cover (the digital carnet is validated on its
    own voucher). Once that paper validation is recorded the carnet counts as validated: the
    page offers its discharge (nothing left home), never its cancellation."""
    carnet = belgian()
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert _action(page) == "cancel"
    today = now_utc().date()
    r = _paper(chamber_client, carnet, "validation", "BE", today, "V-BE-1")
    assert r.status_code == 303, r.text
    assert _status(session, carnet) == "issued"  # the digital carnet is not activated by it
    page = chamber_client.get(f"/chamber/carnets/{carnet.id}")
    assert f'id="carnet-validated">{today.strftime("%d/%m/%Y")}<' in page.text
    assert _action(page) == "discharge" and ">Cancel the carnet</button>" not in page.text
    assert re.search(r'id="cancel-refusal">.*?already been validated by customs', page.text, re.S)
    refused = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/cancel", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert refused.status_code == 422 and _status(session, carnet) == "issued"
    # the same rule for the association's NICS (the life-cycle of the API)
    with pytest.raises(Conflict, match="already been validated by customs"):
        carnets.cancel(
            world.session, world.session.get(Carnet, carnet.id), "x", api_clients.OPERATOR
        )
    world.session.rollback()
    done = chamber_client.post(
        f"/chamber/carnets/{carnet.id}/discharge", data=_form(chamber_client, {"confirm": "yes"})
    )
    assert done.status_code == 303 and _status(session, carnet) == "discharged"


def test_f72_belgium_digital_paper_validation_recorded_paper_exportation_refused(
    chamber_client, belgian, session
):
    """Plan §6 and use cases 4 and 6: a digital departure country validates the paper carnets
    leaving it (the green cover stamped), but a new exportation there is digital (§8) — a
    paper one is accepted only when made before the switch date."""
    carnet = belgian()
    today = now_utc().date()
    r = _paper(chamber_client, carnet, "export", "BE", today, "E-BE-1")
    assert r.status_code == 422
    message = re.search(r'<small id="paper-kind-error" class="field-error">([^<]*)<', r.text)
    assert message.group(1) == (
        "Belgium has been a digital country since 01/06/2026: a new exportation there is made "
        "with the digital carnet, not on paper."
    )
    assert 'value="E-BE-1"' in r.text and 'value="BE"' in r.text  # as typed
    assert session.scalar(select(func.count(PaperTransaction.id))) == 0
    # the validation (the cover stamped) is recorded, today as before the switch
    assert _paper(chamber_client, carnet, "validation", "BE", today, "V-BE-1").status_code == 303
    other = belgian()
    before = SWITCH - dt.timedelta(days=10)
    assert _paper(chamber_client, other, "validation", "BE", before, "V-BE-2").status_code == 303
    # an exportation made on paper before Belgium's switch: recorded too
    assert _paper(chamber_client, other, "export", "BE", before, "E-BE-2").status_code == 303
    session.expire_all()
    assert sorted(session.scalars(select(PaperTransaction.counterfoil_no))) == [
        "E-BE-2",
        "V-BE-1",
        "V-BE-2",
    ]
