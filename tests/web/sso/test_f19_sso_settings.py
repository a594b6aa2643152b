"""F-19 settings page: an admin configures the administration's OpenID provider; the secret is
encrypted at rest; every change is audited without the secret; bad input is refused next to
its field and nothing is saved."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.domain import sso
from portal.models import AuditEvent, SsoProvider

SECRET = "be-client-secret-0123456789"


def form(issuer: str, **changes) -> dict:
    data = {
        "enabled": "y",
        "display_name": "Douane account",
        "issuer": issuer,
        "client_id": "eata-be",
        "client_secret": SECRET,
        "allowed_domains": "customs-be.demo\nDOUANE.example",
        "builtin_login": "y",
        "mfa_acr_values": sso.DEFAULT_MFA_ACR,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("role", ["officer", "controller", "regional_manager"])
def test_f19_settings_are_for_admins_only(demo, login_as, role):
    client = login_as("be", role)
    assert client.get("/admin/sso").status_code == 403
    assert client.post("/admin/sso", data=form("https://idp.example")).status_code == 403
    assert demo.scalar(select(func.count(SsoProvider.id))) == 0


def test_f19_admin_configures_the_provider_secret_encrypted_and_audited(
    demo, login_as, provider_be
):
    client = login_as("be", "admin")
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "http://customs-be.eata.test/login/sso/callback" in page
    r = client.post("/admin/sso", data=form(provider_be.issuer))
    assert r.status_code == 303, r.get_data(as_text=True)
    row = demo.scalar(select(SsoProvider))
    assert row.enabled and row.issuer == provider_be.issuer and row.client_id == "eata-be"
    assert row.allowed_domains == "customs-be.demo\ndouane.example"
    assert SECRET not in row.client_secret_enc and sso.client_secret(row) == SECRET
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "sso.update"))
    assert SECRET not in json.dumps(event.data)
    assert event.data["after"]["client_secret"] == "(changed)"
    assert (event.data["before"]["issuer"], event.data["after"]["issuer"]) == (
        None,
        provider_be.issuer,
    )
    # a blank secret keeps the stored one; only what changed is audited
    enc = row.client_secret_enc
    r = client.post("/admin/sso", data=form(provider_be.issuer, client_secret="", trust_mfa="y"))
    assert r.status_code == 303
    demo.expire_all()
    row = demo.scalar(select(SsoProvider))
    assert row.client_secret_enc == enc and row.trust_mfa
    last = demo.scalars(
        select(AuditEvent).where(AuditEvent.action == "sso.update").order_by(AuditEvent.id)
    ).all()[-1]
    assert last.data == {"before": {"trust_mfa": False}, "after": {"trust_mfa": True}}
    # the login page now offers the provider
    anonymous = client.__class__(client.app, client.base_url)
    assert "Log in with Douane account" in anonymous.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"issuer": "ftp://idp.example"}, "The issuer must be an https:// URL"),
        ({"issuer": "http://127.0.0.1:1"}, "could not read the provider"),
        ({"client_id": ""}, "Enter the client ID"),
        ({"client_secret": ""}, "Enter the client secret"),
        ({"allowed_domains": "not a domain"}, "Not an email domain"),
        ({"allowed_domains": ""}, "Enter at least one email domain"),
        ({"enabled": None, "builtin_login": None}, "must stay on while single sign-on is off"),
    ],
)
def test_f19_bad_settings_are_refused_next_to_the_field(
    demo, login_as, provider_be, changes, field_message
):
    client = login_as("be", "admin")
    r = client.post("/admin/sso", data=form(**{"issuer": provider_be.issuer, **changes}))
    assert r.status_code == 422
    assert field_message in r.get_data(as_text=True)
    assert demo.scalar(select(func.count(SsoProvider.id))) == 0
    assert (
        demo.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "sso.update")) == 0
    )


def test_f19_discovery_must_name_the_configured_issuer(demo, login_as, provider_be):
    client = login_as("be", "admin")
    r = client.post("/admin/sso", data=form(provider_be.issuer + "/"))  # not its issuer
    assert r.status_code == 422 and "says its issuer is" in r.get_data(as_text=True)


def test_f19_each_administration_has_its_own_settings(demo, login_as, provider_be):
    assert (
        login_as("be", "admin").post("/admin/sso", data=form(provider_be.issuer)).status_code == 303
    )
    fr_page = login_as("fr", "admin").get("/admin/sso").get_data(as_text=True)
    assert provider_be.issuer not in fr_page and "eata-be" not in fr_page
    assert "Log in with" not in login_as("fr", "officer").get("/login").get_data(as_text=True)
