"""F-19 with a real OpenID provider: MFA from the provider or the portal, logout through the
provider's end-session endpoint, the built-in login switched off, two administrations with
their own providers."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from sqlalchemy import func, select
from sso_helpers import audits, configure, logged_in, sso_login, start

from portal.domain import mfa
from portal.models import SsoIdentity


def with_totp(demo, account) -> str:
    secret = pyotp.random_base32()
    account.mfa_method = "totp"
    account.totp_secret_enc = mfa.encrypt(secret)
    demo.commit()
    return secret


@pytest.mark.parametrize(
    ("trust", "amr", "acr", "next_page"),
    [
        (False, ["pwd", "mfa"], None, "/login/verify"),  # not trusted: the portal's factor
        (True, ["pwd"], None, "/login/verify"),  # trusted, but no MFA at the provider
        (True, ["pwd", "mfa"], None, "/"),  # trusted and done (amr)
        (True, None, "http://schemas.openid.net/pape/policies/2007/06/multi-factor", "/"),
    ],
    ids=["untrusted", "trusted_single_factor", "trusted_amr_mfa", "trusted_acr"],
)
def test_f19_mfa_from_the_provider_only_when_trusted_and_done(
    sso_be, provider_be, client_for, demo, account_of, trust, amr, acr, next_page
):
    officer = account_of("be", "officer")
    with_totp(demo, officer)
    configure(demo, "be", provider_be, trust_mfa=trust)
    sso_be.user("u-officer", officer.email)
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-officer", amr=amr, acr=acr)
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == next_page
    assert logged_in(client) is (next_page == "/")
    ok = audits(demo, "login.sso_ok")[-1]
    assert ok.data["mfa"] == ("provider" if next_page == "/" else "portal")


def test_f19_portal_second_factor_after_the_provider(sso_be, client_for, demo, account_of):
    officer = account_of("be", "officer")
    secret = with_totp(demo, officer)
    sso_be.user("u-officer", officer.email)
    client = client_for("customs", "be")
    assert sso_login(client, sso_be, "u-officer").headers["Location"].endswith("/login/verify")
    assert not logged_in(client)
    r = client.post("/login/verify", data={"code": "000000"})
    assert r.status_code == 422 and not logged_in(client)
    r = client.post("/login/verify", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 303 and logged_in(client)
    assert audits(demo, "login.success")[-1].data == {
        "remember": False,
        "mfa": "totp",
        "via": "sso",
    }


def test_f19_admin_enrols_mfa_unless_the_provider_did_it(
    sso_be, provider_be, client_for, demo, account_of
):
    admin = account_of("be", "admin")
    assert admin.mfa_method is None  # admins always need MFA (F-12)
    sso_be.user("u-admin", admin.email)
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-admin", amr=["pwd", "mfa"])
    assert r.headers["Location"].endswith("/login/enrol")  # provider's MFA not trusted
    configure(demo, "be", provider_be, trust_mfa=True)
    client = client_for("customs", "be")
    r = sso_login(client, sso_be, "u-admin", amr=["pwd", "mfa"])
    assert urlsplit(r.headers["Location"]).path == "/" and logged_in(client)


def test_f19_logout_ends_the_session_and_goes_to_the_provider(sso_be, client_for, account_of):
    sso_be.user("u-officer", account_of("be", "officer").email)
    client = client_for("customs", "be")
    sso_login(client, sso_be, "u-officer")
    r = client.post("/logout")
    assert r.status_code == 303 and r.headers["Location"].endswith("/logout/provider")
    assert not logged_in(client)
    page = client.get("/logout/provider").get_data(as_text=True)
    target = html.unescape(re.search(r'href="([^"]+)" id="provider-logout"', page).group(1))
    assert f'content="0;url={html.escape(target)}"' in page  # the refresh goes there
    parts = urlsplit(target)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{sso_be.issuer}/session/end"
    params = parse_qs(parts.query)
    assert params["client_id"] == ["eata-be"]
    assert params["post_logout_redirect_uri"] == ["http://customs-be.eata.test/login"]
    # the provider accepts it: its logout confirmation page, not an error
    assert "logout" in requests.get(target, timeout=10).text.lower()
    # a password session's logout stays in the portal
    assert client.get("/logout/provider").headers["Location"].endswith("/login")


def test_f19_builtin_login_off_leaves_only_the_provider(
    sso_be, provider_be, client_for, demo, account_of
):
    configure(demo, "be", provider_be, builtin_login=False)
    client = client_for("customs", "be")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in with Douane BE account" in page and 'name="password"' not in page
    officer = account_of("be", "officer")
    r = client.post("/login", data={"email": officer.email, "password": "eata-demo-passw0rd"})
    assert r.status_code == 422 and "logs in with Douane BE account only" in r.get_data(True)
    assert not logged_in(client)
    assert client.post("/forgot-password", data={"email": officer.email}).status_code == 303
    sso_be.user("u-officer", officer.email)
    assert sso_login(client, sso_be, "u-officer").status_code == 303 and logged_in(client)


def test_f19_login_page_without_sso_has_no_provider_button(demo, client_for):
    page = client_for("customs", "be").get("/login").get_data(as_text=True)
    assert "/login/sso" not in page and 'name="password"' in page
    assert client_for("customs", "be").get("/login/sso").headers["Location"].endswith("/login")


def test_f19_two_administrations_with_their_own_providers(
    sso_be, sso_fr, client_for, demo, account_of
):
    be_officer, fr_officer = account_of("be", "officer"), account_of("fr", "officer")
    sso_be.user("same-sub", be_officer.email)
    sso_fr.user("same-sub", fr_officer.email)
    be, fr = client_for("customs", "be"), client_for("customs", "fr")
    assert start(be).startswith(sso_be.issuer) and start(fr).startswith(sso_fr.issuer)
    # a code that BE's provider issued, carried to FR's callback with FR's own state: FR
    # redeems it at its own provider, which does not know it
    sso_be.next_login("same-sub")
    be_callback = urlsplit(sso_be.authorize(start(be)))
    fr_state = parse_qs(urlsplit(start(fr)).query)["state"][0]
    code = parse_qs(be_callback.query)["code"][0]
    r = fr.get(f"/login/sso/callback?code={code}&state={fr_state}")
    assert r.headers["Location"].endswith("/login") and not logged_in(fr)
    refused = audits(demo, "sso.failure")[-1].data
    assert (refused["reason"], refused["error"]) == ("provider_error", "invalid_grant")
    # BE's callback URL opened on FR's host: it names BE's provider as issuer (RFC 9207)
    r = fr.get(f"{be_callback.path}?{be_callback.query}")
    assert r.headers["Location"].endswith("/login") and not logged_in(fr)
    assert audits(demo, "sso.failure")[-1].data["reason"] == "iss"
    # each logs in with its own provider, and the binding is per administration
    assert sso_login(fr, sso_fr, "same-sub").status_code == 303 and logged_in(fr)
    assert sso_login(be, sso_be, "same-sub").status_code == 303 and logged_in(be)
    rows = demo.scalars(select(SsoIdentity).order_by(SsoIdentity.id)).all()
    assert {(r.account_id, r.issuer) for r in rows} == {
        (fr_officer.id, sso_fr.issuer),
        (be_officer.id, sso_be.issuer),
    }
    # FR's session is nothing on BE's host
    with fr.session_transaction() as sess:
        cookie = dict(sess)
    other = client_for("customs", "be")
    with other.session_transaction() as sess:
        sess.update(cookie)
    assert not logged_in(other)
    assert demo.scalar(select(func.count(SsoIdentity.id))) == 2


def test_f19_operator_switches_sso_off_when_it_was_the_only_login(
    app, sso_be, provider_be, client_for, demo, account_of
):
    configure(demo, "be", provider_be, builtin_login=False)
    officer = account_of("be", "officer")
    result = app.test_cli_runner().invoke(args=["customs", "sso-off", "--code", "BE"])
    assert result.exit_code == 0, result.output
    client = client_for("customs", "be")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in with" not in page and 'name="password"' in page
    r = client.post("/login", data={"email": officer.email, "password": "eata-demo-passw0rd"})
    assert r.status_code == 303 and logged_in(client)
    event = audits(demo, "sso.update")[-1]
    assert event.actor_type == "operator"
    assert event.data["after"] == {"enabled": False, "builtin_login": True}
    bad = app.test_cli_runner().invoke(args=["customs", "sso-off", "--code", "zz"])
    assert bad.exit_code == 1 and "No customs administration" in bad.output
