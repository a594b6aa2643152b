"""Fixtures of the customs desk tests: a logged-in officer's browser that drives the wizard. The
data (carnets, travels, commits) comes from the root `world` and `kit` fixtures."""

from __future__ import annotations

import re

import pytest

from portal.domain import vouchers as voucher_domain
from portal.models import Office

WIZARD_URL = re.compile(r"/transactions/w/([^/]+)/carnet")


class Desk:
    """An officer's browser on the customs portal of their administration."""

    def __init__(self, client, world, cc):
        self.client, self.world, self.cc = client, world, cc
        self.officer = world.officer(cc)

    @property
    def office_id(self) -> int:
        return self.officer.office.id

    def lookup(self, carnet, code, office_id=None, htmx=False, **extra):
        data = {
            "carnet": str(carnet),
            "code": code,
            "office_id": str(office_id or self.office_id),
            **extra,
        }
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post("/transactions/new", data=data, headers=headers)

    def start(self, voucher, office_id=None) -> str:
        """Step 1 with the voucher's carnet ID and code; returns the wizard's step-2 URL."""
        code = voucher_domain.code_of(voucher)
        r = self.lookup(voucher.travel.carnet_id and self._eata(voucher), code, office_id)
        assert r.status_code == 303, r.get_data(as_text=True)[:2000]
        return r.headers["Location"]

    def _eata(self, voucher) -> int:
        from portal.models import Carnet

        return self.world.session.get(Carnet, voucher.carnet_id).eata_id

    def steps(self, carnet_url: str) -> tuple[str, str, str]:
        base = carnet_url.rsplit("/", 1)[0]
        return carnet_url, base + "/goods", base + "/commit"

    def commit(self, commit_url: str, data: dict | None = None, htmx=False):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(commit_url, data=data or {}, headers=headers)


@pytest.fixture
def desk(world, login_as):
    """desk("be") → the first BE officer's browser, logged in."""

    def make(cc: str, office_index: int = 0) -> Desk:
        officer = world.officer(cc) if office_index == 0 else world.others[cc]
        client = login_as(cc, "officer", account=officer.account)
        d = Desk(client, world, cc)
        d.officer = officer
        return d

    return make


__all__ = ["Desk", "Office"]
