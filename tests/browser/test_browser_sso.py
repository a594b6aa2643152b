"""Browser journey (F-19): single sign-on with a real OpenID provider (oidc-provider on Node,
tests/support/oidc_provider.mjs). The BE officer clicks "Log in with …", the provider logs them
in and sends them back, the portal opens the session; logging out ends it at the provider too.
An identity without a portal account is refused with its message on the login page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain import sso
from portal.domain.demo import demo_email
from portal.models import CustomsAdministration
from tests.support.oidc import OidcProvider

pytestmark = pytest.mark.browser

SECRET = "browser-client-secret-0123456789"


@pytest.fixture(scope="module")
def provider(live_server):
    base = live_server.url("customs", "be", "")
    p = OidcProvider(
        [
            {
                "client_id": "eata-be-browser",
                "client_secret": SECRET,
                "redirect_uris": [f"{base}/login/sso/callback"],
                "post_logout_redirect_uris": [f"{base}/login"],
            }
        ]
    )
    yield p
    p.stop()


@pytest.fixture
def sso_on(demo, provider):
    provider.reset()
    be = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    sso.save_provider(
        demo,
        be,
        enabled=True,
        display_name="Douane account",
        issuer=provider.issuer,
        client_id="eata-be-browser",
        client_secret=SECRET,
        allowed_domains="customs-be.demo",
        builtin_login=True,
        trust_mfa=False,
        mfa_acr_values="",
        allow_http=True,
    )
    demo.commit()
    return provider


def test_f19_officer_logs_in_with_the_provider_and_out_again(page, live_server, sso_on):
    sso_on.user("officer-1", demo_email("be", "officer"), name="Officer BE")
    sso_on.next_login("officer-1", amr=["pwd"])
    page.goto(live_server.url("customs", "be", "/"))
    assert "/login" in page.url
    page.get_by_role("button", name="Log in with Douane account").click()
    page.get_by_role("heading", name="Welcome, Officer BE").wait_for()
    assert page.url.startswith(live_server.url("customs", "be", "/"))
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.locator("summary", has_text="Officer BE").click()
    page.get_by_role("button", name="Log out").click()
    # the portal's page sends the browser on to the provider's end-session page ("commit": its
    # page imports a web font that this machine cannot load), which sends it back to the login
    page.wait_for_url(f"{sso_on.issuer}/session/end?*", wait_until="commit")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url("**/login?state=*")
    assert any(u.endswith("/logout/provider") for u in visited), visited
    page.get_by_role("heading", name="Log in").wait_for()
    page.goto(live_server.url("customs", "be", "/"))
    assert "/login" in page.url
    assert page.csp_violations == []


def test_f19_identity_without_account_is_refused_on_the_login_page(page, live_server, sso_on):
    sso_on.user("stranger", "stranger@customs-be.demo")
    sso_on.next_login("stranger")
    page.goto(live_server.url("customs", "be", "/login"))
    page.get_by_role("button", name="Log in with Douane account").click()
    page.get_by_text("There is no account for stranger@customs-be.demo").wait_for()
    assert page.url.endswith("/login")
    assert page.csp_violations == []
