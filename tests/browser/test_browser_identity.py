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
    page.locator("#password").fill(DEMO_PASSWORD)
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
    assert page.csp_violations == []


def _enrol_admin(page, live_server):
    page.goto(live_server.url("customs", "be", "/"))
    page.get_by_label("Email").fill(demo_email("be", "admin"))
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/enrol/totp")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC)))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_role("heading", name="Welcome, Admin BE").wait_for()


def _emailed_link(outbox_dir: str, to: str) -> str:
    import email
    import email.policy
    import glob
    import re

    for path in glob.glob(f"{outbox_dir}/*.eml"):
        with open(path, "rb") as fh:
            msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
        if msg["To"] == to:
            body = msg.get_body(("plain",)).get_content()
            return re.search(r"http://customs-be\.eata\.test(/set-password/\S+)", body).group(1)
    raise AssertionError(f"no email to {to}")


def test_f11_f14_f15_admin_creates_office_and_officer_who_sets_a_password_and_logs_in(
    page, live_server, demo, outbox_dir
):
    """The issue's journey: admin logs in with TOTP, creates an office and an officer; the officer
    opens the emailed link, sets a password and logs in."""
    _enrol_admin(page, live_server)
    page.get_by_role("link", name="Offices").first.click()
    page.get_by_role("button", name="New office").click()
    page.get_by_label("Region").select_option(label="Brussels")
    page.locator("#name").fill("Liège Airport")
    page.get_by_label("City").fill("Liège")
    page.get_by_label("Latitude").fill("50.6374")
    page.get_by_label("Longitude").fill("5.4432")
    page.get_by_label("Airport").check()
    page.get_by_role("button", name="Create").click()
    page.get_by_text("Liège Airport").first.wait_for()

    page.get_by_role("link", name="Accounts").first.click()
    page.get_by_role("button", name="New account").click()
    page.get_by_label("Full name / badge number").fill("Officer Dupont")
    page.get_by_label("Email").fill("dupont@customs-be.demo")
    page.get_by_label("Role").select_option(label="Officer")
    with page.expect_response(lambda r: "office" in r.url and r.request.method == "GET"):
        page.get_by_label("Region").select_option(label="Brussels")  # reloads the office list
    page.get_by_label("Customs office").select_option(label="Liège Airport")
    page.get_by_role("button", name="Create and send invitation").click()
    page.get_by_text("dupont@customs-be.demo").first.wait_for()
    page.locator("summary", has_text="Admin BE").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()

    page.goto(live_server.url("customs", "be", _emailed_link(outbox_dir, "dupont@customs-be.demo")))
    page.get_by_role("heading", name="Welcome to eATA").wait_for()
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    page.get_by_role("button", name="Save the password").click()
    page.get_by_text("Use at least 15 characters").wait_for()
    page.locator("#password").fill("river stone lantern autumn")
    page.locator("#confirm").fill("river stone lantern autumn")
    page.get_by_role("button", name="Save the password").click()
    page.get_by_text("Your password is saved.").wait_for()
    page.get_by_label("Email").fill("dupont@customs-be.demo")
    page.locator("#password").fill("river stone lantern autumn")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Welcome, Officer Dupont").wait_for()
    assert "Liège Airport" in page.content()
    assert page.csp_violations == []
