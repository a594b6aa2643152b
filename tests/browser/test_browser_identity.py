"""Browser journey (F-10, F-12): the demo BE admin logs in, is made to enrol an authenticator app
(QR code page), reaches the home page and logs out."""
from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from portal.domain.demo import DEMO_PASSWORD, demo_email

pytestmark = pytest.mark.browser


def test_f12_admin_enrols_totp_at_first_login_then_logs_out(page, live_server, demo):
    page.goto(live_server.url("customs", "be", "/"))
    assert "/login" in page.url
    page.get_by_label("Email").fill(demo_email("be", "admin"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/enrol/totp")
    assert page.locator("figure.qr img").get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator("#totp-secret").inner_text().strip()
    code = pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC))
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_role("heading", name="Welcome, Admin BE").wait_for()
    page.locator("summary", has_text="Admin BE").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.goto(live_server.url("customs", "be", "/"))
    assert "/login" in page.url
