"""F-71 … F-73 in real browsers: a digital carnet departing from a paper country (use case 2).
The holder's travel page warns that Switzerland is still paper; the French officer records the
exportation stamped on the paper carnet at step 2, commits the importation — which validates the
carnet automatically — and the holder's travel shows it committed."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.domain.vouchers import code_of
from portal.models import AuditEvent, Carnet, Country, PaperTransaction
from tests.browser.test_f40_customs_desk import _log_in
from tests.browser.test_f50_f52_predeclaration_journey import _holder_page
from tests.support import factory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ata_statuses")]


def test_f73_paper_departure_trip_through_the_wallet_and_the_desk(app, world, browser, live_server):
    s = world.session
    for c in s.scalars(select(Country).where(Country.code == "CH")):
        c.ata_status, c.digital_from = "paper", None
    s.commit()
    carnet = factory.issue(world, items=2, countries=("BE", "FR"))
    t = factory.travel(world, carnet, "CH", "FR")
    assert [v.kind for v in t.vouchers] == ["import"]  # validation and export are on paper

    # the holder is told the departure is on the paper carnet
    h_context, holder = _holder_page(app, browser, live_server, world.holder.id)
    holder.goto(live_server.url("wallet", path=f"/my/travels/{t.id}"))
    expect(holder.locator("#paper-warning")).to_contain_text("Switzerland")

    # the French officer: codes, then the paper exportation recorded at step 2
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(app, context, live_server, world.officer("fr").account, cc="fr")
    page.goto(live_server.url("customs", "fr", "/transactions/new"))
    page.get_by_label("Carnet eATA ID or carnet number").fill(str(carnet.eata_id))
    page.get_by_label("Transaction code").fill(code_of(t.vouchers[0]))
    page.get_by_role("button", name="Look up the carnet").click()
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    page.get_by_text("Record a transaction made on the paper carnet").click()
    page.get_by_label("Transaction", exact=True).select_option("export")
    page.get_by_label("Country (ISO code)").fill("CH")
    page.get_by_label("Customs office", exact=True).fill("Basel Weil")
    page.get_by_label("Date", exact=True).fill(dt.date.today().isoformat())
    page.get_by_label("Counterfoil or voucher number").fill("EX-0001")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("The paper transaction is recorded")).to_be_visible()
    expect(page.get_by_role("cell", name="EX-0001")).to_be_visible()

    # the importation, committed: the carnet is validated automatically
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("button", name="Next: commit").click()
    page.get_by_role("button", name="Commit").click()
    page.get_by_role("heading", name="5. Receipt: importation committed").wait_for()
    s.expire_all()
    assert s.get(Carnet, carnet.id).status == "active"
    assert s.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "carnet.validated_automatically",
            AuditEvent.object_id == str(carnet.eata_id),
        )
    )
    assert s.scalars(
        select(PaperTransaction.counterfoil_no).where(PaperTransaction.carnet_id == carnet.id)
    ).all() == ["EX-0001"]

    # the holder's travel shows the importation committed
    holder.reload()
    expect(holder.locator(".voucher-state")).to_have_attribute("data-state", "committed")
    h_context.close()
    context.close()
