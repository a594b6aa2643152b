"""F-50 … F-52 in real browsers: the holder sends a pre-declaration with an attachment from the
travel page, the officer opens the attachment and acknowledges it in the customs list, the
holder's open travel page turns green without a reload, the officer commits from the list —
through the desk's wizard, pre-filled — and lands on the receipt."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.db import now_utc
from portal.domain import wallet as wallet_domain
from portal.extensions import db as database
from portal.models import Holder
from tests.browser.test_f40_customs_desk import _log_in
from tests.support import factory

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _holder_page(app, browser, live_server, holder_id: int):
    """A browser context with the holder logged in and the wallet unlocked."""
    with database.new_session() as s:
        hs = wallet_domain.open_holder_session(s, s.get(Holder, holder_id), mfa_pending=False)
        hs.unlocked_at = now_utc()
        s.commit()
        sid = hs.id
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(15_000)
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"h:{sid}", "_fresh": True}
    )
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": live_server.url("wallet", path="/"),
            }
        ]
    )
    return context, context.new_page()


def test_f50_f52_holder_predeclares_officer_acknowledges_and_commits(
    app, world, browser, live_server
):
    carnet = factory.issue(world, items=2)
    t = factory.travel(world, carnet, "CH", "FR")
    office = world.officer("ch").office
    # the holder sends a pre-declaration of the validation from the travel page
    h_context, holder = _holder_page(app, browser, live_server, world.holder.id)
    holder.goto(live_server.url("wallet", path=f"/my/travels/{t.id}"))
    holder.get_by_role("link", name="Add predeclaration").first.click()
    holder.get_by_role("heading", name="Add a pre-declaration").wait_for()
    holder.get_by_label("Customs port / office").select_option(str(office.id))
    holder.get_by_label("Date").fill((dt.date.today() + dt.timedelta(days=1)).isoformat())
    holder.get_by_label("Estimated time").fill("10:30")
    holder.get_by_label("Hand carry").check()
    holder.get_by_label("Air", exact=True).check()
    holder.get_by_label("Shipment number").fill("AWB 777")
    holder.get_by_label("Identification").fill("LX1234")
    holder.get_by_label("Allow automatic transaction").check()
    holder.get_by_label("Attachments").set_input_files(
        [{"name": "waybill.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    holder.get_by_role("button", name="Send").click()
    holder.get_by_text("is sent to customs").wait_for()
    expect(holder.locator(".predeclaration")).to_have_attribute("data-state", "pending")
    holder.evaluate("window.__noReload = 'still here'")

    # the officer opens the list and acknowledges it
    c_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    c_context.set_default_timeout(15_000)
    officer = c_context.new_page()
    _log_in(app, c_context, live_server, world.officer("ch").account)
    officer.goto(live_server.url("customs", "ch", "/predeclarations"))
    expect(officer.get_by_role("link", name="Pre-declarations (1)")).to_be_visible()
    officer.get_by_role("link", name="Details").click()
    with officer.expect_download() as download:
        officer.get_by_role("link", name="waybill.pdf").click()
    assert download.value.suggested_filename == "waybill.pdf"
    officer.get_by_role("button", name="Acknowledge").click()
    officer.get_by_text("was acknowledged").wait_for()

    # the holder's open page turns green by itself
    expect(holder.locator(".predeclaration")).to_have_attribute(
        "data-state", "acknowledged", timeout=20_000
    )
    expect(holder.locator(".check-green")).to_be_visible()
    assert holder.evaluate("window.__noReload") == "still here"

    # the officer commits from the list: the desk's wizard for this voucher (no code to scan),
    # step 4 pre-filled with what was pre-declared; then the receipt
    officer.get_by_role("button", name="Commit…").click()
    officer.get_by_role("heading", name="2. Check the carnet").wait_for()
    officer.get_by_role("button", name="Next: check goods").click()
    officer.get_by_role("button", name="Next: commit").click()
    officer.get_by_role("heading", name="4. Commit the validation").wait_for()
    expect(officer.get_by_label("Customs reference number")).to_have_value("AWB 777")
    expect(officer.get_by_label("Customs remarks")).to_contain_text("Pre-declared: hand carry")
    officer.get_by_label("No", exact=True).check()  # goods examined?
    officer.get_by_role("button", name="Commit", exact=True).click()
    officer.get_by_text("Verification code").first.wait_for()
    assert "/receipt" in officer.url
    expect(holder.locator(".predeclaration")).to_have_attribute(
        "data-state", "committed", timeout=20_000
    )
    assert holder.evaluate("window.__noReload") == "still here"
    h_context.close()
    c_context.close()
