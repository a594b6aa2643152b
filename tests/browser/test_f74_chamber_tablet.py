"""The chamber portal in a browser (F-74, F-71, F-37): its pages pass the WCAG audit of the
other portals (axe-core: no serious or critical violation, one h1, one main landmark), and on a
tablet in portrait (800×1280, touch) nothing of the carnet page's content is wider than the
screen and a returned
carnet is discharged with two taps — Discharge, then the confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients, chambers, transition
from portal.domain.passwords import hash_secret
from portal.domain.transactions import commit_voucher
from portal.extensions import db
from portal.models import Carnet, Country
from tests.browser.test_accessibility import _audit, _context
from tests.support import factory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ata_statuses")]


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('#main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .map(e => e.tagName + '#' + e.id)"""


def _returned_carnet(world, back: bool = True) -> tuple[int, int]:
    """(staff id, carnet id): an association's staff admin, and its carnet that left paper
    Switzerland on paper (recorded), was imported digitally in France and (`back`) came home,
    re-imported on paper (recorded)."""
    s = world.session
    ia = api_clients.create_issuing_association(s, world.nga, "CCI Genève (browser)")
    staff = chambers.create_staff(
        s, ia, "tablet@cci.test", "Tina Tablet", "admin", actor=api_clients.OPERATOR
    )
    staff.password_hash = hash_secret("chamber-passw0rd-long")
    for country in s.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    s.commit()
    carnet = factory.issue(world)
    carnet.issuing_association_id = ia.id
    today = now_utc().date()
    transition.record_paper_transaction(
        s,
        carnet,
        transition.PaperInput("validation", "CH", "Genève Cornavin", today, "V-0001"),
        place=None,
        recorded_by="chamber",
        actor_type="api_client",
        today=today,
    )
    s.commit()
    out = factory.travel(world, carnet, "CH", "FR")
    commit_voucher(s, factory.voucher(world, out, "import").id, world.officer("fr"))
    s.commit()
    if back:  # the goods came home: their re-importation read on the paper carnet
        transition.record_paper_transaction(
            s,
            carnet,
            transition.PaperInput("reimport", "CH", "Genève Cornavin", today, "R-0002"),
            place=None,
            recorded_by="chamber",
            actor_type="api_client",
            today=today,
        )
        s.commit()
    return staff.id, carnet.id


def _logged_in(app, context, live_server, staff_id: int) -> None:
    from portal.models import ChamberStaff

    with db.new_session() as s:
        row = chambers.open_session(s, s.get(ChamberStaff, staff_id), "127.0.0.1")
        row.mfa_at = now_utc()
        s.commit()
        sid = row.id
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"s:{sid}", "_fresh": True}
    )
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": live_server.url("chamber", path="/"),
            }
        ]
    )


def test_f74_wcag_chamber_pages(app, world, browser, live_server):
    staff_id, carnet_id = _returned_carnet(world)
    context = _context(browser)
    page = context.new_page()
    found: dict = {}
    page.goto(live_server.url("chamber", path="/chamber/login"))
    _audit(page, found)
    _logged_in(app, context, live_server, staff_id)
    for path in (
        "/chamber/carnets",
        f"/chamber/carnets/{carnet_id}",
        "/chamber/advice?departure=CH&destinations=FR&transits=TR",
        "/chamber/advice?departure=CH&destinations=AQ",
        "/chamber/staff",
    ):
        page.goto(live_server.url("chamber", path=path))
        _audit(page, found)
    # the confirmation and a refusal shown next to the button
    page.goto(live_server.url("chamber", path=f"/chamber/carnets/{carnet_id}"))
    page.get_by_role("button", name="Discharge", exact=True).click()
    page.locator("#end-confirm").wait_for()
    _audit(page, found)
    context.close()
    assert found == {}


def test_f74_discharge_on_a_tablet_in_portrait(app, world, browser, live_server, session):
    staff_id, carnet_id = _returned_carnet(world)
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", has_touch=True, viewport={"width": 800, "height": 1280}
    )
    context.set_default_timeout(15_000)
    _logged_in(app, context, live_server, staff_id)
    page = context.new_page()
    page.goto(live_server.url("chamber", path="/chamber/carnets"))
    page.get_by_role("link", name=session.get(Carnet, carnet_id).carnet_number).tap()
    page.locator("#side-by-side").wait_for()
    # nothing of the page's content reaches past the screen's edge (no sideways scrolling)
    assert page.evaluate(WIDER_THAN_SCREEN) == []
    expect(page.locator('tr[data-medium="paper"][data-kind="validation"]')).to_be_visible()
    expect(page.locator('tr[data-medium="digital"][data-kind="import"]')).to_be_visible()
    page.get_by_role("button", name="Discharge", exact=True).tap()
    page.get_by_role("button", name="Yes, discharge").tap()
    expect(page.get_by_text("This carnet is discharged.")).to_be_visible()
    session.expire_all()
    assert session.get(Carnet, carnet_id).status == "discharged"
    context.close()


def test_f74_paper_form_refusal_stays_in_place_on_a_tablet(
    app, world, browser, live_server, session
):
    """The paper-transaction form refused (a re-importation typed in the wrong country): the
    page stays the carnet's (htmx swaps the form in place), what was typed is kept, the message
    stands under the country; corrected, it is recorded and the discharge is offered."""
    staff_id, carnet_id = _returned_carnet(world, back=False)
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", has_touch=True, viewport={"width": 768, "height": 1024}
    )
    context.set_default_timeout(15_000)
    _logged_in(app, context, live_server, staff_id)
    page = context.new_page()
    url = live_server.url("chamber", path=f"/chamber/carnets/{carnet_id}")
    page.goto(url)
    # the goods are in France: no discharge offered, and why
    expect(page.locator("#discharge-refusal")).to_contain_text("The goods are not back")
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_have_count(0)
    page.locator("#record-paper summary").tap()
    page.select_option("#paper-kind", "reimport")
    page.fill("#paper-country", "FR")
    page.fill("#paper-office", "Genève Cornavin")
    page.fill("#paper-date", now_utc().date().isoformat())
    page.fill("#paper-number", "R-0009")
    page.get_by_role("button", name="Record").tap()
    error = page.locator("#paper-country_code-error")
    expect(error).to_contain_text("made in the carnet's departure country")
    assert page.url == url  # not the form's address: a reload shows the carnet again
    expect(page.locator("#paper-number")).to_have_value("R-0009")
    expect(page.locator("#paper-kind")).to_have_value("reimport")
    expect(page.locator("#paper-counterfoil_no-error")).to_have_count(0)
    assert page.evaluate(WIDER_THAN_SCREEN) == []
    page.fill("#paper-country", "CH")
    page.get_by_role("button", name="Record").tap()
    expect(page.locator('tr[data-medium="paper"][data-kind="reimport"]')).to_be_visible()
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_be_visible()
    context.close()
