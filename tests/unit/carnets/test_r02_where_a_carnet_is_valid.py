"""R-02 / R-07: a carnet is usable only in Box P (home kinds: in the departure territory),
while valid and not cancelled, blocked or discharged; expired → re-export/re-import only."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import now_utc
from portal.domain import Conflict, api_clients
from portal.domain import carnets as domain
from portal.domain.api_clients import OPERATOR
from tests.api.conftest import carnet_body


@pytest.fixture
def carnet(session):
    nga = api_clients.create_nga(session, "CH", "Swiss NGA")
    c, _ = domain.issue_carnet(session, nga, carnet_body(countries=["FR", "NO"]), OPERATOR)
    domain.mark_activated(c)
    session.commit()
    return c


TODAY = now_utc().date()


@pytest.mark.parametrize(
    "country,kind",
    [
        ("FR", "importation"),
        ("DE", "importation"),  # DE: same EU territory as FR
        ("NO", "transit_open"),
        ("CH", "exportation"),
        ("CH", "re_importation"),
        ("CH", "validation"),
    ],
)
def test_r02_allowed_in_box_p_or_home(session, carnet, country, kind):
    domain.check_usable(session, carnet, country, kind, TODAY)


@pytest.mark.parametrize(
    "country,kind,words",
    [
        ("US", "importation", "is not valid in US: its Box P lists FR, NO"),
        ("CH", "importation", "is not valid in CH"),
        ("FR", "exportation", "takes place in its departure country (CH), not in FR"),
    ],
)
def test_r02_refused_outside_box_p(session, carnet, country, kind, words):
    with pytest.raises(Conflict, match=words.replace("(", r"\(").replace(")", r"\)")):
        domain.check_usable(session, carnet, country, kind, TODAY)


@pytest.mark.parametrize("status", ["cancelled", "blocked", "discharged"])
def test_r02_refused_when_not_live(session, carnet, status):
    carnet.status = status
    with pytest.raises(Conflict, match=f"is {status}"):
        domain.check_usable(session, carnet, "FR", "importation", TODAY)


def test_r07_expired_carnet_allows_only_reexport_and_reimport(session, carnet):
    carnet.valid_until = TODAY - dt.timedelta(days=1)
    domain.check_usable(session, carnet, "FR", "re_exportation", TODAY)
    domain.check_usable(session, carnet, "CH", "re_importation", TODAY)
    with pytest.raises(
        Conflict, match=f"expired on {carnet.valid_until:%d/%m/%Y}: only re-exportation"
    ):
        domain.check_usable(session, carnet, "FR", "importation", TODAY)
