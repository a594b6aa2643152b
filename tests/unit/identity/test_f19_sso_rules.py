"""F-19 rules without a provider: when the provider's MFA counts, which emails count as
verified, the settings' checks."""

from __future__ import annotations

import pytest

from portal.domain import DomainError, sso
from portal.models import SsoProvider


def provider(trust: bool, acr_values: str = sso.DEFAULT_MFA_ACR) -> SsoProvider:
    return SsoProvider(trust_mfa=trust, mfa_acr_values=acr_values)


@pytest.mark.parametrize(
    ("trust", "claims", "counts"),
    [
        (True, {"amr": ["pwd", "mfa"]}, True),
        (True, {"amr": ["pwd"]}, False),
        (True, {"amr": "mfa"}, False),  # not a list: not RFC 8176
        (True, {"acr": sso.DEFAULT_MFA_ACR}, True),
        (True, {"acr": "urn:other"}, False),
        (True, {}, False),
        (False, {"amr": ["pwd", "mfa"], "acr": sso.DEFAULT_MFA_ACR}, False),  # not trusted
    ],
)
def test_f19_provider_mfa_counts_only_when_trusted_and_claimed(trust, claims, counts):
    assert sso.provider_mfa(provider(trust), claims) is counts


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, False),  # a string is not the boolean of OIDC Core
        ({"email_verified": False}, False),
        ({"xms_edov": True}, True),  # Entra ID: the tenant owns the domain
        ({"xms_edov": False}, False),
        ({}, False),
    ],
)
def test_f19_email_counts_as_verified(claims, verified):
    assert sso.email_verified(claims) is verified


@pytest.mark.parametrize(
    ("issuer", "allow_http", "ok"),
    [
        ("https://login.microsoftonline.com/tid/v2.0", False, True),
        ("http://127.0.0.1:4000", False, False),
        ("http://127.0.0.1:4000", True, True),
        ("https://idp.example/?x=1", False, False),
        ("https://user:pw@idp.example", False, False),
        ("idp.example", False, False),
        ("", False, False),
    ],
)
def test_f19_issuer_must_be_an_https_url(issuer, allow_http, ok):
    if ok:
        assert sso.check_issuer(issuer, allow_http) == issuer
    else:
        with pytest.raises(DomainError) as exc:
            sso.check_issuer(issuer, allow_http)
        assert exc.value.field == "issuer"


def test_f19_allowed_domains_are_normalised_and_checked():
    assert sso.check_domains(" Douane.EXAMPLE, @customs.example\ndouane.example") == [
        "douane.example",
        "customs.example",
    ]
    with pytest.raises(DomainError):
        sso.check_domains("douane")
    assert sso.discovery_url("https://idp.example/realms/x/") == (
        "https://idp.example/realms/x/.well-known/openid-configuration"
    )
