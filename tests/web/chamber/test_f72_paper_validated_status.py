"""F-72 (use cases 4 and 6): a carnet whose paper validation is recorded in a digital departure
country (Belgium) is validated — on paper. The digital carnet is not activated by that stamp
(its own validation voucher stays usable), yet every place that shows or filters its status
says "active", as for a Türkiye carnet (Carnet.effective_status / Carnet.status_is): the
chamber portal's carnet page and list (and its status filter), the NICS API's list filter,
the wallet (effective_status). One never validated stays "issued" everywhere."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain.carnets import lookup
from portal.models import Carnet
from tests.web.chamber.test_f74_chamber_discharge_or_cancel import (  # noqa: F401
    _paper,
    belgian,
)

pytestmark = pytest.mark.usefixtures("ata_statuses")


def _shown(page) -> str:
    return re.search(r'id="carnet-status" data-status="(\w+)"', page.text).group(1)


def _row_status(page, number: str) -> str | None:
    m = re.search(rf'<tr data-carnet="{number}">(?:<td>.*?</td>){{2}}<td>([^<]*)</td>', page.text)
    return m.group(1) if m else None


def test_f72_a_paper_validation_in_belgium_shows_active_everywhere(
    chamber_client,
    belgian,  # noqa: F811 (the fixture imported above)
    session,
    world,
):
    validated, untouched = belgian(), belgian()
    today = now_utc().date()
    r = _paper(chamber_client, validated, "validation", "BE", today, "V-BE-1")
    assert r.status_code == 303, r.text
    session.expire_all()
    stored = session.get(Carnet, validated.id)
    assert stored.status == "issued" and stored.activated_at is None  # digital one not used
    assert stored.effective_status(today) == "active"
    assert session.get(Carnet, untouched.id).effective_status(today) == "issued"
    # the chamber's carnet page and list
    assert _shown(chamber_client.get(f"/chamber/carnets/{validated.id}")) == "active"
    assert _shown(chamber_client.get(f"/chamber/carnets/{untouched.id}")) == "issued"
    listed = chamber_client.get("/chamber/carnets")
    assert _row_status(listed, validated.carnet_number) == "active"
    assert _row_status(listed, untouched.carnet_number) == "issued"
    # the status filter goes by the same status
    active = chamber_client.get("/chamber/carnets?status=active")
    assert validated.carnet_number in active.text and untouched.carnet_number not in active.text
    issued = chamber_client.get("/chamber/carnets?status=issued")
    assert untouched.carnet_number in issued.text and validated.carnet_number not in issued.text
    # the NICS API's list filter (lookup.list_for_nga)
    rows, _ = lookup.list_for_nga(world.session, world.nga.id, status="active")
    assert validated.id in {c.id for c in rows} and untouched.id not in {c.id for c in rows}
    rows, _ = lookup.list_for_nga(world.session, world.nga.id, status="issued")
    assert untouched.id in {c.id for c in rows} and validated.id not in {c.id for c in rows}
    # the same in SQL as in Python
    ids = set(session.scalars(select(Carnet.id).where(*Carnet.status_is("active", today))))
    assert validated.id in ids and untouched.id not in ids
