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


def test_f11_invited_officer_sets_a_password_and_logs_in(page, live_server, demo, app, outbox_dir):
    import email
    import email.policy
    import glob
    import re

    from sqlalchemy import select

    from portal.blueprints.auth.emails import send_account_invitation
    from portal.extensions import db
    from portal.models import Account, CustomsAdministration

    with app.app_context():
        be = db.session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
        officer = Account(customs_id=be.id, email="invited.officer@customs-be.demo",
                          full_name="Invited Officer", role="officer")
        db.session.add(officer)
        db.session.flush()
        send_account_invitation(officer)
        db.session.commit()
    (path,) = glob.glob(f"{outbox_dir}/*.eml")
    with open(path, "rb") as fh:
        msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
    body = msg.get_body(("plain",)).get_content()
    link_path = re.search(r"http://customs-be\.eata\.test(/set-password/\S+)", body).group(1)
    page.goto(live_server.url("customs", "be", link_path))
    page.get_by_role("heading", name="Welcome to eATA").wait_for()
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    page.get_by_role("button", name="Save the password").click()
    page.get_by_text("Use at least 15 characters").wait_for()
    page.locator("#password").fill("river stone lantern autumn")
    page.locator("#confirm").fill("river stone lantern autumn")
    page.get_by_role("button", name="Save the password").click()
    page.get_by_text("Your password is saved.").wait_for()
    page.get_by_label("Email").fill("invited.officer@customs-be.demo")
    page.locator("#password").fill("river stone lantern autumn")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Welcome, Invited Officer").wait_for()
    assert page.csp_violations == []
