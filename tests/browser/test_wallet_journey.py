"""Browser journey (F-17, F-30 … F-34): a holder registers, confirms the email, logs in and
unlocks the wallet, downloads a carnet, signs its general list, prepares a travel with the item
picker, opens the export voucher (arrow key from the validation voucher); the officer commits
through the engine and the open page shows the confirmation without a reload."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients
from portal.domain import carnets as carnet_domain
from portal.domain.api_clients import OPERATOR
from portal.domain.transactions import commit_voucher
from portal.extensions import db as database
from portal.models import OutboxMessage, Voucher
from tests.support.factory import carnet_body, officer_of

pytestmark = pytest.mark.browser

PASSWORD = "a long wallet password for tests"
PIN = "493817"


def _issue(session):
    nga = api_clients.create_nga(session, "CH", f"ATA Suisse {secrets.token_hex(3)}")
    today = now_utc().date()
    body = carnet_body(
        items=3,
        countries=["BE", "FR", "DE"],
        departure_country="CH",
        carnet_number=f"CH{secrets.token_hex(5).upper()}",
        currency="CHF",
        valid_until=(today + dt.timedelta(days=300)).isoformat(),
        sets={"export_reimport": 1, "import_reexport": 2, "transit": 0},
    )
    carnet, pin = carnet_domain.issue_carnet(session, nga, body, OPERATOR, today=today)
    session.commit()
    return carnet, pin


def test_f34_holder_journey_live_confirmation(page, live_server, demo):
    carnet, pin = _issue(demo)
    # register
    page.goto(live_server.url("wallet", path="/"))
    page.get_by_role("link", name="Create one").click()
    page.get_by_label("Private person").check()
    page.get_by_label("Given names (as on your passport)").fill("Anne")
    page.get_by_label("Surname (as on your passport)").fill("Peeters")
    page.get_by_label("Email").fill("anne.browser@example.test")
    page.get_by_label("Street").fill("Bahnhofstrasse 1")
    page.get_by_label("Postal code").fill("8001")
    page.get_by_label("City").fill("Zürich")
    page.get_by_label("Country of residence").select_option("CH")
    page.get_by_label("Cell phone").fill("+41 79 123 45 67")
    page.locator("#password").fill(PASSWORD)
    page.locator("#pin").fill(PIN)
    page.locator("#pin_confirm").fill(PIN)
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Create my wallet").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    # confirm through the emailed link
    demo.expire_all()
    body = demo.scalar(
        select(OutboxMessage.body).where(OutboxMessage.recipient == "anne.browser@example.test")
    )
    path = re.search(r"http://wallet\.eata\.test(/my/confirm/\S+)", body).group(1)
    page.goto(live_server.url("wallet", path=path))
    page.get_by_text("Your email address is confirmed").wait_for()
    # log in and unlock
    page.get_by_label("Email").fill("anne.browser@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Unlock your wallet").wait_for()
    page.get_by_label("Wallet PIN").fill(PIN)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("heading", name="Carnets").wait_for()
    # download the carnet
    page.get_by_role("button", name="Download a carnet").click()
    page.get_by_label("eATA ID or carnet number").fill(str(carnet.eata_id))
    page.get_by_label("Carnet PIN").fill(pin)
    page.get_by_role("button", name="Download").click()
    page.get_by_role("heading", name=f"Carnet {carnet.carnet_number}").wait_for()
    # first use: sign the general list
    page.get_by_label("Your legal name (as signature)").fill("Anne Peeters")
    page.get_by_label("I accept the general list").check()
    page.get_by_role("button", name="Sign").click()
    page.get_by_text("You signed the general list").wait_for()
    # prepare a travel with the picker
    page.get_by_role("button", name="Prepare a travel").click()
    page.get_by_label("Name of this travel").fill("Paris shoot")
    # leaving home (CH) the destination is abroad; a departure abroad offers the way home
    home = page.locator("#destination_country option[value='CH']")
    assert home.count() == 0
    page.get_by_label("Departure country").select_option("BE")
    home.wait_for(state="attached")
    page.get_by_label("Departure country").select_option("CH")
    home.wait_for(state="detached")
    page.get_by_label("Destination country").select_option("FR")
    page.get_by_role("button", name="Select all").click()
    assert page.locator("#qty-1").input_value() == "2"
    page.get_by_role("button", name="One less of item 1").click()
    assert page.locator("#qty-1").input_value() == "1"
    page.get_by_placeholder("Search items").fill("1003")
    assert page.locator(".picker-row:visible").count() == 1
    page.get_by_placeholder("Search items").fill("")
    page.get_by_label("Sign the declaration with your legal name").fill("Anne Peeters")
    page.get_by_role("button", name="Save travel").click()
    page.get_by_text("Your travel is saved").wait_for()
    # vouchers: disclaimer, then the validation voucher; → to the export voucher
    page.get_by_role("button", name="Show vouchers").click()
    page.get_by_role("button", name="I understand: show the vouchers").click()
    page.get_by_role("heading", name="Validation").wait_for()
    page.wait_for_load_state("load")  # wallet.js (deferred) listens for the arrow keys
    page.keyboard.press("ArrowRight")
    page.get_by_role("heading", name="Exportation").wait_for()
    # the QR image is loaded after the heading shows: wait for it before reading its size
    expect(page.locator("img.voucher-qr")).to_have_js_property("complete", True)
    assert page.locator("img.voucher-qr").evaluate("img => img.naturalWidth > 0")
    assert page.locator("#voucher-status").get_attribute("data-state") == "pending"
    page.evaluate("window.__noReload = 'still here'")
    # the officer commits validation and exportation in Switzerland
    with database.new_session() as s:
        vouchers = s.scalars(
            select(Voucher).where(Voucher.carnet_id == carnet.id).order_by(Voucher.position)
        ).all()
        officer = officer_of(s, "ch")
        commit_voucher(s, vouchers[0].id, officer, fields={"goods_examined": False})
        commit_voucher(s, vouchers[1].id, officer, fields={})
        s.commit()
    page.locator('#voucher-status[data-state="committed"]').wait_for(timeout=20_000)
    assert page.evaluate("window.__noReload") == "still here"
    assert page.locator("#cancellation-code").inner_text().strip()
    page.get_by_role("link", name="Notifications").click()
    page.get_by_text("Exportation committed", exact=False).first.wait_for()
    assert page.csp_violations == []
