"""Fixtures of the SSO tests (F-19): two real OpenID providers (oidc-provider on Node), one for
customs-be and one for customs-fr, started once per run; each test starts them clean."""

from __future__ import annotations

import pytest
from sso_helpers import client_of, configure

from tests.support.oidc import OidcProvider


@pytest.fixture(scope="session")
def provider_be():
    p = OidcProvider([client_of("be")])
    yield p
    p.stop()


@pytest.fixture(scope="session")
def provider_fr():
    p = OidcProvider([client_of("fr")])
    yield p
    p.stop()


@pytest.fixture
def sso_be(demo, provider_be):
    provider_be.reset()
    configure(demo, "be", provider_be)
    return provider_be


@pytest.fixture
def sso_fr(demo, provider_fr):
    provider_fr.reset()
    configure(demo, "fr", provider_fr)
    return provider_fr
