"""F-19 single sign-on against a real OpenID provider (oidc-provider on Node, see conftest):
login, first-login binding, refusals, PKCE/state/nonce, issuer/audience/expiry, key rotation,
disabled accounts, MFA, logout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sso_helpers import audits, flashed, logged_in, sso_login, start

from portal.domain.demo import demo_email
from portal.models import Account, SsoIdentity
from tests.support.oidc import path_of


def test_f19_login_binds_the_account_at_first_login_then_by_subject(
    sso_be, client_for, demo, account_of
):
    officer = account_of("be", "officer")
    sso_be.user("u-officer", officer.email)
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-officer")
    assert r.status_code == 303 and r.headers["Location"].endswith("/")
    assert logged_in(client)
    bound = demo.scalar(select(SsoIdentity).where(SsoIdentity.subject == "u-officer"))
    assert bound.account_id == officer.id and bound.issuer == sso_be.issuer
    assert [e.object_id for e in audits(demo, "sso.bound")] == [str(officer.id)]
    success = audits(demo, "login.success")[-1]
    assert success.data["via"] == "sso" and success.object_id == str(officer.id)
    # afterwards the subject decides, whatever email the provider now says
    sso_be.user("u-officer", "renamed@elsewhere.example", verified=False)
    other = client_for("customs", "be")
    assert sso_login(other, sso_be, "u-officer").status_code == 303
    assert logged_in(other)


def test_f19_authorization_request_uses_pkce_state_and_nonce(sso_be, client_for):
    params = parse_qs(urlsplit(start(client_for("customs", "be"))).query)
    assert params["response_type"] == ["code"] and params["client_id"] == ["eata-be"]
    assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) >= 43
    assert len(params["state"][0]) >= 20 and len(params["nonce"][0]) >= 20
    assert set(params["scope"][0].split()) == {"openid", "email", "profile"}


@pytest.mark.parametrize(
    ("claims", "reason", "message"),
    [
        ({"email": "nobody@customs-be.demo"}, "unknown", "There is no account for nobody@"),
        (
            {"email": demo_email("be", "officer"), "verified": False},
            "email_unverified",
            "has not confirmed that",
        ),
        ({"email": "officer@gmail.com"}, "domain", "Email addresses at gmail.com cannot log in"),
    ],
)
def test_f19_refused_identities_get_a_clear_message_and_no_account(
    sso_be, client_for, demo, claims, reason, message
):
    sso_be.user("u-x", claims["email"], verified=claims.get("verified", True))
    before = demo.scalar(select(func.count(Account.id)))
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-x")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert message in flashed(client)
    assert not logged_in(client)
    assert demo.scalar(select(func.count(Account.id))) == before
    assert demo.scalar(select(func.count(SsoIdentity.id))) == 0
    assert audits(demo, "sso.failure")[-1].data["reason"] == reason


@pytest.mark.parametrize(
    ("tamper", "detail"),
    [
        ({"aud": "eata-fr"}, "Invalid claim: 'aud'"),  # wrong audience
        # a wrong audience that Authlib's default checks let through (azp = our client id)
        ({"aud": "eata-fr", "azp": "eata-be"}, "Invalid claim: 'aud'"),
        ({"iss": "http://127.0.0.1:1/other-issuer"}, "Invalid claim: 'iss'"),
        ({"exp_offset": -600}, "expired"),  # beyond the bounded clock skew
        ({"nonce": "not-the-nonce-of-this-login"}, "Invalid claim: 'nonce'"),
    ],
    ids=["wrong_audience", "wrong_audience_with_azp", "wrong_issuer", "expired", "nonce_mismatch"],
)
def test_f19_id_token_checks_refuse_the_login(sso_be, client_for, demo, account_of, tamper, detail):
    sso_be.user("u-officer", account_of("be", "officer").email)
    sso_be.tamper(**tamper)
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-officer")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert "could not be verified, so you are not logged in" in flashed(client)
    assert not logged_in(client)
    failure = audits(demo, "sso.failure")[-1]
    assert failure.data["reason"] == "id_token" and detail in failure.data["detail"], failure.data
    assert demo.scalar(select(func.count(SsoIdentity.id))) == 0


def test_f19_clock_skew_within_the_leeway_is_accepted(sso_be, client_for, account_of):
    sso_be.user("u-officer", account_of("be", "officer").email)
    sso_be.tamper(exp_offset=-30)  # expired 30 s ago: within the 60 s leeway
    client = client_for("customs", "be")
    assert sso_login(client, sso_be, "u-officer").status_code == 303
    assert logged_in(client)


def test_f19_replayed_state_is_refused(sso_be, client_for, demo, account_of):
    sso_be.user("u-officer", account_of("be", "officer").email)
    client = client_for("customs", "be")
    sso_be.next_login("u-officer")
    callback = path_of(sso_be.authorize(start(client)))
    assert client.get(callback).status_code == 303
    client.post("/logout")
    r = client.get(callback)  # the same code and state again
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert "already used, has expired or belongs to another browser" in flashed(client)
    assert not logged_in(client)
    # a callback carried to another browser: its state is unknown there
    sso_be.next_login("u-officer")
    callback = path_of(sso_be.authorize(start(client)))
    thief = client_for("customs", "be")
    assert thief.get(callback).headers["Location"].endswith("/login")
    assert not logged_in(thief)
    assert [e.data["reason"] for e in audits(demo, "sso.failure")] == ["state", "state"]


def test_f19_key_rotation_at_the_provider(sso_be, client_for, account_of):
    sso_be.user("u-officer", account_of("be", "officer").email)
    first = client_for("customs", "be")
    assert sso_login(first, sso_be, "u-officer").status_code == 303  # JWKS fetched and kept
    sso_be.rotate()  # a new signing key, the old one no longer published
    second = client_for("customs", "be")
    assert sso_login(second, sso_be, "u-officer").status_code == 303
    assert logged_in(second)


def test_f19_disabled_account_is_refused_at_once(sso_be, client_for, demo, account_of):
    officer = account_of("be", "officer")
    sso_be.user("u-officer", officer.email)
    client = client_for("customs", "be")
    sso_login(client, sso_be, "u-officer")
    assert logged_in(client)
    officer.active = False
    demo.commit()
    assert not logged_in(client)  # the open session ends on its next request
    again = client_for("customs", "be")
    r = sso_login(again, sso_be, "u-officer")  # the provider still says yes
    assert r.headers["Location"].endswith("/login")
    assert "Your account in the portal is disabled" in flashed(again)
    assert not logged_in(again)
    assert audits(demo, "sso.failure")[-1].data["reason"] == "disabled"
