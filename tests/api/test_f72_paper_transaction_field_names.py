"""F-72 / F-74 through the NICS API: a refused paper transaction names each field as the
request's body does (`country`, `office`, `made_on`, `counterfoil_no`, `kind`, `remarks`), never
the domain's names (`country_code`, `office_name`) — the same mapping as the customs API
(transition.api_field_errors). A right body is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import now_utc
from portal.models import Country
from tests.api.customs.test_f73_transition_api import nics  # noqa: F401
from tests.support.factory import issue

pytestmark = pytest.mark.usefixtures("ata_statuses")
TODAY = now_utc().date()


def _post(api, carnet, key: str, **fields):
    body = {
        "kind": "validation",
        "country": "CH",
        "office": "Genève Cornavin",
        "made_on": TODAY.isoformat(),
        "counterfoil_no": "V-1",
        **fields,
    }
    return api.post(
        f"/v1/carnets/{carnet.eata_id}/paper-transactions",
        json=body,
        headers={"Idempotency-Key": f"{carnet.eata_id}-{key}"},
    )


def _fields(r) -> dict:
    return {e["field"]: e["message"] for e in r.get_json().get("errors", [])}


@pytest.fixture
def carnet(world):
    ch = world.session.get(Country, "CH")
    ch.ata_status, ch.digital_from = "paper", None
    world.session.commit()
    return issue(world, in_wallet=False)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"country": "ZZ"}, "country"),
        ({"country": "TR", "kind": "import"}, "country"),  # not in Box P
        ({"office": "   "}, "office"),
        ({"made_on": (TODAY + dt.timedelta(days=3)).isoformat()}, "made_on"),
        ({"made_on": "2026-13-40"}, "made_on"),
        ({"counterfoil_no": "   "}, "counterfoil_no"),
        ({"kind": "import"}, "country"),  # an importation is made abroad, not at home
        ({"remarks": "x" * 2001}, "remarks"),
    ],
)
def test_f72_nics_paper_transaction_errors_use_the_body_names(
    nics,  # noqa: F811
    carnet,
    given,
    field,
):
    r = _post(nics, carnet, field + str(len(given)), **given)
    assert r.status_code in (400, 422), r.get_json()
    errors = _fields(r)
    assert field in errors, errors
    assert not {"country_code", "office_name"} & set(errors), errors


def test_f72_nics_paper_transaction_several_fields_each_under_its_name(nics, carnet):  # noqa: F811
    r = _post(nics, carnet, "all", country="ZZ", office=" ", counterfoil_no=" ")
    assert r.status_code in (400, 422)
    assert {"country", "office", "counterfoil_no"} <= set(_fields(r)), r.get_json()
    ok = _post(nics, carnet, "ok")
    assert ok.status_code == 201, ok.get_json()
