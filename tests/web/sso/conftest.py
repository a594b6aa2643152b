"""Fixtures of the SSO tests (F-19): two real OpenID providers (oidc-provider on Node), one for
customs-be and one for customs-fr, started once per run; each test starts them clean."""

from __future__ import annotations

import pytest

from tests.support.oidc import OidcProvider

SECRETS = {"be": "be-client-secret-0123456789", "fr": "fr-client-secret-9876543210"}


def client_of(code: str) -> dict:
    host = f"http://customs-{code}.eata.test"
    return {
        "client_id": f"eata-{code}",
        "client_secret": SECRETS[code],
        "redirect_uris": [f"{host}/login/sso/callback"],
        "post_logout_redirect_uris": [f"{host}/login"],
    }


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


def configure(session, code: str, provider: OidcProvider, **settings):
    """Switch SSO on for the demo administration `code` with `provider`."""
    from sqlalchemy import select

    from portal.domain import sso
    from portal.models import CustomsAdministration

    administration = session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == code)
    )
    values = dict(
        enabled=True,
        display_name=f"Douane {code.upper()} account",
        issuer=provider.issuer,
        client_id=f"eata-{code}",
        client_secret=SECRETS[code],
        allowed_domains=f"customs-{code}.demo",
        builtin_login=True,
        trust_mfa=False,
        mfa_acr_values=sso.DEFAULT_MFA_ACR,
        allow_http=True,
    )
    values.update(settings)
    provider_row, _ = sso.save_provider(session, administration, **values)
    session.commit()
    return provider_row


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
