"""F-40 on a real tablet (1280×800 landscape, 800×1280 portrait, touch): the clean journey in at
most five interactions — scan, Next, Next, Commit (a validation: + "Goods examined") — with
each step's main action inside the viewport without scrolling; step 1's transaction-code field
focused when the page opens (the guide's first action is scanning) and
a hardware QR scanner (a keyboard typing the QR's text and Enter) recognised like the camera;
in portrait the step before the carnet panel and the goods table whole."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.domain.vouchers import code_of, qr_payload
from tests.browser.test_f40_customs_desk import _log_in
from tests.support import factory

pytestmark = pytest.mark.browser

TABLETS = {"landscape": (1280, 800), "portrait": (800, 1280)}

# each step's heading and its main action (what the clean journey taps)
MAIN_ACTION = {
    1: ("1. Scan the transaction code", "Look up the carnet"),
    2: ("2. Check the carnet", "Next: check goods"),
    3: ("3. Check the goods", "Next: commit"),
    4: ("4. Commit the", "Commit"),
    5: ("5. Receipt:", "New transaction"),
}

# inside the layout viewport, without scrolling the page
IN_VIEW = """e => { const r = e.getBoundingClientRect();
  return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight
    && r.right <= window.innerWidth && r.height > 0; }"""


def _tablet(app, world, browser, live_server, orientation):
    width, height = TABLETS[orientation]
    context = browser.new_context(
        locale="en-GB",
        timezone_id="UTC",
        has_touch=True,
        viewport={"width": width, "height": height},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(app, context, live_server, world.officer("ch").account)
    page.goto(live_server.url("customs", "ch", "/transactions/new"))
    return context, page


def _assert_main_action_in_view(page, step: int) -> None:
    heading, action = MAIN_ACTION[step]
    page.get_by_role("heading", name=heading).wait_for()
    assert page.evaluate("window.scrollY") == 0  # nothing scrolled to get here
    button = page.get_by_role("button", name=action, exact=True)
    assert button.evaluate(IN_VIEW), f"step {step}: {action!r} is outside the viewport"
    # the step's heading too (what the officer reads first)
    assert page.locator("#wizard .step-heading").evaluate(IN_VIEW)


@pytest.mark.parametrize("orientation", TABLETS)
def test_f40_clean_journey_in_five_taps_with_each_main_action_in_view(
    app, world, browser, live_server, orientation
):
    """A long carnet (15 items, as in the guide): the hardware scanner's text and Enter, Next,
    Next, Goods examined, Commit — five interactions — and every step's main action is inside
    the viewport without scrolling."""
    carnet = factory.issue(world, items=15)
    voucher = factory.voucher(world, factory.travel(world, carnet, "CH", "FR"), "validation")
    context, page = _tablet(app, world, browser, live_server, orientation)
    _assert_main_action_in_view(page, 1)
    taps = 0
    # 1: the scanner types into the focused transaction-code field (no tap needed to focus it)
    expect(page.locator("#code")).to_be_focused()
    page.keyboard.type(qr_payload(carnet.eata_id, code_of(voucher)))
    page.keyboard.press("Enter")
    taps += 1
    _assert_main_action_in_view(page, 2)
    page.get_by_role("button", name="Next: check goods").tap()
    taps += 1
    _assert_main_action_in_view(page, 3)
    page.get_by_role("button", name="Next: commit").tap()
    taps += 1
    _assert_main_action_in_view(page, 4)
    # the validation's required choice sits next to Commit, in view
    yes = page.get_by_label("Yes")
    assert yes.evaluate(IN_VIEW)
    yes.tap()
    taps += 1
    page.get_by_role("button", name="Commit", exact=True).tap()
    taps += 1
    _assert_main_action_in_view(page, 5)
    assert taps == 5
    expect(page.locator("#verification-code")).to_be_visible()
    context.close()


def test_f40_commit_without_goods_examined_is_refused_next_to_commit(
    app, world, browser, live_server
):
    """The validation's "Goods examined?" is a required choice: forgotten, Commit is refused
    with the message beside it, still in view, and one more tap commits."""
    carnet = factory.issue(world, items=15)
    voucher = factory.voucher(world, factory.travel(world, carnet, "CH", "FR"), "validation")
    context, page = _tablet(app, world, browser, live_server, "landscape")
    page.keyboard.type(qr_payload(carnet.eata_id, code_of(voucher)))
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Next: check goods").tap()
    page.get_by_role("button", name="Next: commit").tap()
    page.get_by_role("button", name="Commit", exact=True).tap()
    error = page.locator("#goods_examined-error")
    expect(error).to_contain_text("examined")
    assert error.evaluate(IN_VIEW)
    page.get_by_label("No", exact=True).tap()
    page.get_by_role("button", name="Commit", exact=True).tap()
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()
    context.close()


def test_f40_hardware_scanner_after_new_transaction_and_forged_text(
    app, world, browser, live_server
):
    """After "New transaction" (an htmx swap) the transaction-code field has the focus again,
    ready for the scanner; a damaged QR text is refused with the QR's message, not "Type the transaction
    code."."""
    carnet = factory.issue(world, items=2)
    t = factory.travel(world, carnet, "CH", "FR")
    voucher = factory.voucher(world, t, "validation")
    context, page = _tablet(app, world, browser, live_server, "portrait")
    genuine = qr_payload(carnet.eata_id, code_of(voucher))
    page.keyboard.type(genuine[:-4] + ("0000" if not genuine.endswith("0000") else "1111"))
    page.keyboard.press("Enter")
    expect(page.locator("#step")).to_contain_text("not an eATA transaction code")
    assert "Type the transaction code." not in page.locator("#step").inner_text()
    # the scanner typing into the carnet field instead (the officer tapped it) lands right too
    page.get_by_label("Transaction code").fill("")
    page.get_by_label("Carnet eATA ID or carnet number").fill("")
    page.get_by_label("Carnet eATA ID or carnet number").focus()
    page.keyboard.type(genuine)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    page.goto(live_server.url("customs", "ch", "/transactions/new"))
    expect(page.locator("#code")).to_be_focused()
    context.close()


# every number cell of the step's tables is on one line (numbers never wrap inside a value)
ONE_LINE_NUMBERS = """() => [...document.querySelectorAll('#step td.num')].filter(td => {
  const r = document.createRange(); r.selectNodeContents(td);
  return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1;
}).map(td => td.textContent.trim())"""
# the goods table is whole: no column hidden or scrolled out of its box
WHOLE_TABLE = """() => [...document.querySelectorAll('#step .table-scroll')].every(
  box => box.scrollWidth <= box.clientWidth + 1)"""


def test_f40_portrait_step_before_the_panel_and_goods_table_whole(app, world, browser, live_server):
    """800×1280 portrait: steps 2–4 show their heading and main action before the carnet panel
    (a one-line summary of the carnet under the heading); the goods tables of steps 2 and 3 fit
    with every column — origin, value, weight — and no number wraps."""
    carnet = factory.issue(world, items=15, pieces=12)
    t = factory.travel(world, carnet, "CH", "FR")
    factory.commit(world, t, "validation", "ch")
    voucher = factory.voucher(world, t, "export")
    context, page = _tablet(app, world, browser, live_server, "portrait")
    page.keyboard.type(qr_payload(carnet.eata_id, code_of(voucher)))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    expect(page.locator("#carnet-lists table").first).to_be_visible()
    for step, action in ((2, "Next: check goods"), (3, "Next: commit"), (4, "Commit")):
        page.get_by_role("heading", name=MAIN_ACTION[step][0]).wait_for()
        heading = page.locator("#wizard .step-heading")
        panel_top = page.locator("#carnet-panel").bounding_box()["y"]
        assert heading.bounding_box()["y"] < panel_top
        summary = page.locator("#step .step-summary")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text(carnet.carnet_number)
        if step in (2, 3):
            table = page.locator("#step table").first
            for column in ("Origin", "Value", "Weight"):
                expect(table.locator("thead")).to_contain_text(column)
            assert page.evaluate(WHOLE_TABLE), f"step {step}: a table scrolls"
            assert page.evaluate(ONE_LINE_NUMBERS) == []
        button = page.get_by_role("button", name=action, exact=True)
        assert button.evaluate(IN_VIEW)
        if step < 4:
            button.tap()
    context.close()


def test_f40_landscape_panel_beside_the_step_without_summary(app, world, browser, live_server):
    """1280×800 landscape: the carnet panel is a column beside the step, so the step's one-line
    summary is not shown."""
    carnet = factory.issue(world, items=2)
    voucher = factory.voucher(world, factory.travel(world, carnet, "CH", "FR"), "validation")
    context, page = _tablet(app, world, browser, live_server, "landscape")
    page.keyboard.type(qr_payload(carnet.eata_id, code_of(voucher)))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    step = page.locator("#step").bounding_box()
    panel = page.locator("#carnet-panel").bounding_box()
    assert panel["x"] >= step["x"] + step["width"] and panel["y"] < step["y"] + 100
    expect(page.locator("#step .step-summary")).to_be_hidden()
    context.close()


def test_f46_held_carnet_rescanned_at_its_office_released_after_confirming(
    app, world, browser, live_server
):
    """A held carnet scanned again at the office that held it: step 2 shows the hold first,
    no "Next"; "Release the hold…" asks for confirmation, then step 2 goes on with "Next"."""
    from portal.domain.transactions import hold_carnet

    carnet = factory.issue(world, items=2)
    voucher = factory.voucher(world, factory.travel(world, carnet, "CH", "FR"), "validation")
    hold_carnet(world.session, voucher.id, world.officer("ch"), "Seal broken")
    world.session.commit()
    context, page = _tablet(app, world, browser, live_server, "landscape")
    page.keyboard.type(qr_payload(carnet.eata_id, code_of(voucher)))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    alert = page.locator(".hold-alert")
    expect(alert).to_contain_text("Seal broken")
    assert alert.evaluate(IN_VIEW)
    expect(page.get_by_role("button", name="Next: check goods")).to_have_count(0)
    confirm = page.get_by_role("button", name="Yes, release the carnet")
    expect(confirm).to_be_hidden()  # behind the confirmation
    page.get_by_role("button", name="Release the hold…").tap()
    confirm.tap()
    expect(page.locator("#step")).to_contain_text("was released")
    expect(page.locator(".hold-alert")).to_have_count(0)
    page.get_by_role("button", name="Next: check goods").tap()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    context.close()
