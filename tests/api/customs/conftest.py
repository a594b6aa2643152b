"""Fixtures of the customs API tests: a customs client per administration. The data comes from
the root `world` and `kit` fixtures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain import api_clients
from portal.models import CustomsAdministration
from tests.api.conftest import ApiClient, get_token


@pytest.fixture
def customs_client(app, world):
    """customs_client("be") → (ApiClient with a customs:read+write token, the admin's office)."""
    session = world.session

    def make(cc: str, scope: str | None = None):
        admin = session.scalar(
            select(CustomsAdministration).where(CustomsAdministration.code == cc)
        )
        client, secret = api_clients.create_client(
            session, f"{cc} customs system", customs_id=admin.id
        )
        session.commit()
        r = get_token(app, client.client_id, secret, scope)
        assert r.status_code == 200, r.get_json()
        return ApiClient(app, r.get_json()["access_token"]), world.officer(cc).office

    return make
