"""Fixtures of the NICS API tests: two NGAs with a client each, a bearer-token client, a
carnet issued through the API (its body built by tests.support.factory.carnet_body)."""

from __future__ import annotations

import base64

import pytest

from portal.domain import api_clients
from portal.extensions import db as database
from tests.support.factory import carnet_body


@pytest.fixture
def ngas(app):
    """Two NGAs (BE, FR) with one API client each: {"be": (nga_id, client_id, secret), …}."""
    out = {}
    with database.new_session() as s:
        for cc, name in (("BE", "FEB ATA"), ("FR", "CCI France ATA")):
            nga = api_clients.create_nga(s, cc, name)
            api_clients.create_issuing_association(s, nga, f"{name} chamber")
            client, secret = api_clients.create_client(s, f"{name} NICS", nga=nga)
            out[cc.lower()] = (nga.id, client.client_id, secret)
        s.commit()
    return out


class ApiClient:
    """A test client on api.<domain> that sends JSON with a bearer token."""

    def __init__(self, app, token: str | None):
        self.client = app.test_client()
        self.token = token
        self.base_url = "http://api.eata.test"

    def headers(self, extra=None):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def get(self, path, **kw):
        return self.client.get(
            path, base_url=self.base_url, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post(
            path, base_url=self.base_url, json=json, headers=self.headers(headers), **kw
        )


def get_token(app, client_id: str, secret: str, scope: str | None = None):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return app.test_client().post(
        "/v1/oauth/token",
        base_url="http://api.eata.test",
        data=data,
        headers={"Authorization": f"Basic {basic}"},
    )


@pytest.fixture
def api_as(app, ngas):
    """api_as("be") → an ApiClient holding a fresh token of the BE NGA's client."""

    def make(cc: str = "be", scope: str | None = None) -> ApiClient:
        _, client_id, secret = ngas[cc]
        r = get_token(app, client_id, secret, scope)
        assert r.status_code == 200, r.get_json()
        return ApiClient(app, r.get_json()["access_token"])

    return make


@pytest.fixture
def api(api_as):
    return api_as("be")


@pytest.fixture
def issued(api):
    """Issue one carnet as BE: returns (eata_id, pin, response json)."""

    def issue(**overrides):
        r = api.post("/v1/carnets", json=carnet_body(**overrides))
        assert r.status_code == 201, r.get_json()
        data = r.get_json()
        return data["eata_id"], data["pin"], data

    return issue
