"""F-40, F-43: the officer's journey in a real browser — typed codes to the receipt PDF — and
the camera scanner reading a QR code from a fake camera stream."""

from __future__ import annotations

import io
import os

import pytest
import segno
from playwright.sync_api import expect

from portal.domain.vouchers import code_of, qr_payload
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support import factory

pytestmark = pytest.mark.browser


def _wait_focused(page) -> None:
    """The focus reaches the step's heading (it moves after htmx settles). Playwright's expect
    polls from its own script world: a wait_for_function string would be eval'd in the page,
    which the CSP forbids (a race: it fails whenever the first check is too early)."""
    expect(page.locator("#wizard .step-heading")).to_be_focused()


def _log_in(app, context, live_server, account, cc="ch"):
    """Put a real server-side session of `account` in the browser's cookie jar."""
    from portal.domain.sessions import open_session
    from portal.extensions import db

    with db.new_session() as s:
        us = open_session(s, s.merge(account))
        s.commit()
        sid = us.id
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": f"c:{sid}", "_fresh": True})
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": live_server.url("customs", cc, "/"),
            }
        ]
    )


def _voucher(world):
    carnet = factory.issue(world, items=2)
    t = factory.travel(world, carnet, "CH", "FR")
    return carnet, factory.voucher(world, t, "validation")


def _open_desk(app, world, browser, live_server, **options):
    """A new browser context (en-GB, UTC, 15 s timeouts, `options`) with the Swiss officer
    logged in, on step 1 of the wizard: (context, page)."""
    context = browser.new_context(locale="en-GB", timezone_id="UTC", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(app, context, live_server, world.officer("ch").account)
    page.goto(live_server.url("customs", "ch", "/transactions/new"))
    return context, page


def _type_codes(page, carnet, voucher):
    """Step 1 by keyboard only: the codes typed, Enter, step 2 shown."""
    page.get_by_label("Carnet eATA ID or carnet number").focus()
    page.keyboard.type(str(carnet.eata_id))
    page.keyboard.press("Tab")
    page.keyboard.type(code_of(voucher))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="2. Check the carnet").wait_for()


def _check_and_commit(page):
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    _wait_focused(page)  # focus follows the step
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    page.get_by_role("button", name="Next: commit").click()
    page.get_by_role("heading", name="4. Commit the validation").wait_for()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Commit").click()
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()


def test_f40_f43_journey_from_typed_code_to_receipt_pdf(app, world, browser, live_server):
    carnet, voucher = _voucher(world)
    context = browser.new_context(
        locale="en-GB",
        timezone_id="UTC",
        accept_downloads=True,
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    _log_in(app, context, live_server, world.officer("ch").account)
    page.goto(live_server.url("customs", "ch", "/transactions/new"))
    page.get_by_role("heading", name="1. Scan the transaction code").wait_for()
    # a wrong code first: refused on step 1, next to the field
    page.get_by_label("Carnet eATA ID or carnet number").fill(str(carnet.eata_id))
    page.get_by_label("Transaction code").fill("AAAA-AAAA-AAAA-A")
    page.get_by_role("button", name="Look up the carnet").click()
    page.locator("#code-error").wait_for()
    page.get_by_label("Transaction code").fill(code_of(voucher))
    page.get_by_role("button", name="Look up the carnet").click()
    # the stable shell: the carnet panel arrives with step 2 and stays while the steps change;
    # the stepper follows (out of band); Back returns to step 2 without fetching the panel
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    panel = page.locator("#carnet-panel")
    assert "Studio Lumière SPRL" in panel.inner_text()
    # the general list and history arrive after the step, without taking the focus
    expect(page.locator("#carnet-lists")).to_contain_text("Camera body Arri Alexa")
    _wait_focused(page)
    # Hold and Reject: fetched when the officer opens them; a refusal shows on step 2
    page.get_by_role("button", name="Hold or reject…").click()
    expect(page.get_by_label("Reason for rejecting the declaration")).to_be_visible()
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator("#reject_reason-error")).to_have_text("Give the reason for the rejection.")
    reason = page.get_by_label("Reason for rejecting the declaration")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()  # a refusal: the focus goes to the field to correct
    step_answers = []
    page.on(
        "response",
        lambda r: (
            r.request.headers.get("hx-request")
            and r.url.endswith(("/goods", "/carnet"))
            and step_answers.append(r)
        ),
    )
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    # the stepper follows the step (scan.js: fragments do not carry it)
    expect(page.locator("#steps [aria-current=step]")).to_have_text("Check goods")
    assert page.locator("#steps li.done").all_inner_texts() == ["Scan", "Check carnet"]
    assert "Studio Lumière SPRL" in panel.inner_text()
    page.get_by_role("button", name="Back").click()
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    expect(page.locator("#steps [aria-current=step]")).to_have_text("Check carnet")
    assert [r.request.headers.get("x-desk-panel") for r in step_answers] == [str(voucher.id)] * 2
    assert all(
        "carnet-panel" not in r.text() and 'id="steps"' not in r.text() for r in step_answers
    )
    _check_and_commit(page)
    assert "/receipt" in page.url
    # the QR is its own request: wait until the image has loaded (or failed) before its size
    expect(page.locator(".qr img")).to_have_js_property("complete", True)
    assert page.locator(".qr img").evaluate("img => img.naturalWidth > 0")
    assert "Studio Lumière SPRL" in panel.inner_text()
    code = page.locator("#verification-code").inner_text().replace("-", "").strip()
    assert len(code) == 13
    with page.expect_download() as info:
        page.get_by_role("button", name="Print receipt").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    # reload the receipt: nothing is committed twice
    page.reload()
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()
    # a new transaction: step 1 without a carnet panel, the office's last transactions below
    page.get_by_role("button", name="New transaction").click()
    page.get_by_role("heading", name="1. Scan the transaction code").wait_for()
    expect(page.locator("#code")).to_be_focused()  # ready for the scanner again
    page.locator("#recent table").wait_for()
    assert carnet.carnet_number in page.locator("#recent").inner_text()
    assert page.locator("#carnet-panel").inner_text().strip() == ""
    assert violations == []
    context.close()


def _mjpeg(payload: str, path: str, frames: int = 20) -> None:
    """A fake camera stream: the QR code on a white 640×480 frame, as concatenated JPEGs."""
    from PIL import Image

    png = io.BytesIO()
    segno.make(payload, error="m").save(png, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    qr.thumbnail((420, 420))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    with open(path, "wb") as out:
        for _ in range(frames):
            buf = io.BytesIO()
            frame.save(buf, format="JPEG", quality=90)
            out.write(buf.getvalue())


def test_f40_scanner_reads_the_qr_from_the_camera(app, world, browser, live_server, tmp_path):
    carnet, voucher = _voucher(world)
    video = os.path.join(tmp_path, "qr.mjpeg")
    _mjpeg(qr_payload(carnet.eata_id, code_of(voucher)), video)
    origin = live_server.url("customs", "ch", "/").rstrip("/")
    # a browser of its own, whose fake camera films the QR code
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            # the test server speaks http: let the camera work there as on the https site
            f"--unsafely-treat-insecure-origin-as-secure={origin}",
        ],
    )
    try:
        context = camera_browser.new_context(
            locale="en-GB", timezone_id="UTC", viewport={"width": 800, "height": 1280}
        )
        # the scanner decodes frames in a worker: on a loaded machine the first read takes longer
        context.set_default_timeout(45_000)
        page = context.new_page()
        violations = []
        page.on(
            "console", lambda m: "Content Security Policy" in m.text and violations.append(m.text)
        )
        _log_in(app, context, live_server, world.officer("ch").account)
        page.goto(live_server.url("customs", "ch", "/transactions/new"))
        scripts = page.evaluate("[...document.scripts].map(s => s.src).join(' ')")
        assert "qr-scanner" not in scripts  # loaded only when the camera starts
        page.get_by_role("button", name="Start the camera").click()
        _check_and_commit(page)
        assert violations == []
        context.close()
    finally:
        camera_browser.close()


@pytest.mark.parametrize("width,height", [(1280, 800), (800, 1280), (390, 844)])
def test_f40_pages_fit_tablet_and_phone_with_large_touch_targets(
    app, world, browser, live_server, width, height
):
    carnet, voucher = _voucher(world)
    context, page = _open_desk(
        app,
        world,
        browser,
        live_server,
        has_touch=True,
        viewport={"width": width, "height": height},
    )
    # nothing of the wizard sticks out (wide tables scroll inside their own box)
    fits = (
        "[...document.querySelectorAll('#wizard *')].every(e => "
        "e.parentElement.closest('.table-scroll') || "
        "e.getBoundingClientRect().right <= window.innerWidth + 1)"
    )
    small = (
        "[...document.querySelectorAll('#wizard button, #wizard [role=button]')]"
        ".filter(b => b.offsetParent !== null)"
        ".filter(b => { const r = b.getBoundingClientRect();"
        " return r.height < 44 || r.width < 44; }).map(b => b.textContent.trim())"
    )
    assert page.evaluate(fits) and page.evaluate(small) == []
    # keyboard only: type the codes and submit with Enter
    _type_codes(page, carnet, voucher)
    _wait_focused(page)
    assert page.evaluate(fits) and page.evaluate(small) == []
    context.close()


def test_f40_r06_pieces_presented_typed_on_step3_by_keyboard_reach_the_receipt(
    app, world, browser, live_server
):
    """An exportation on a touch tablet, keyboard only: more pieces than declared are refused
    next to the item's field, then the partial quantity goes through step 4 to the receipt."""
    carnet = factory.issue(world, items=2, pieces=3)
    t = factory.travel(world, carnet, "CH", "FR")
    factory.commit(world, t, "validation", "ch")
    voucher = factory.voucher(world, t, "export")
    context, page = _open_desk(
        app, world, browser, live_server, has_touch=True, viewport={"width": 1024, "height": 768}
    )
    _type_codes(page, carnet, voucher)
    page.get_by_role("button", name="Next: check goods").press("Enter")
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    qty = page.get_by_label("Pieces presented of item 1, 3 declared")
    assert qty.get_attribute("inputmode") == "numeric" and qty.input_value() == "3"
    assert qty.bounding_box()["height"] >= 44
    # more than declared: Enter (the form's default button is "Next: commit") → refused here
    qty.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("9")
    page.keyboard.press("Enter")
    error = page.locator("#q_1-error")
    expect(error).to_have_text("Item 1: give between 0 and the 3 piece(s) declared.")
    expect(page.locator("#steps [aria-current=step]")).to_have_text("Check goods")
    qty = page.get_by_label("Pieces presented of item 1, 3 declared")
    assert qty.get_attribute("aria-invalid") == "true" and qty.input_value() == "9"
    expect(qty).to_be_focused()  # the refused field, its content selected: type it again
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="4. Commit the exportation").wait_for()
    assert page.url.endswith("/commit?q_1=2")
    expect(page.locator("#step table.goods")).to_contain_text("2 of 3 declared")
    page.get_by_role("button", name="Commit").press("Enter")
    page.get_by_role("heading", name="5. Receipt: exportation committed").wait_for()
    rows = page.locator("#step table tbody tr")
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())] == [
        "2",
        "3",
    ]
    context.close()


def test_f40_a_step_form_submitted_before_htmx_wires_it_still_commits_once(
    app, world, browser, live_server
):
    """htmx wires a swapped-in form up only when the swap settles; Enter or a tap just before
    (a fast officer, a slow tablet) submits it as a plain form. The step's fragment carries its
    own CSRF field, so the plain POST has the token: the commit goes through and the receipt
    shows — not "The CSRF token is missing"."""
    carnet, voucher = _voucher(world)
    context, page = _open_desk(app, world, browser, live_server)
    page.get_by_label("Carnet eATA ID or carnet number").fill(str(carnet.eata_id))
    page.get_by_label("Transaction code").fill(code_of(voucher))
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    page.get_by_role("button", name="Next: commit").click()
    page.get_by_role("heading", name="4. Commit the validation").wait_for()
    page.get_by_label("Yes").check()
    # the form as htmx left it before wiring it up: a copy without htmx's handlers
    had_token = page.evaluate("""() => {
        const form = document.querySelector("form.commit-form");
        const copy = form.cloneNode(true);
        copy.querySelectorAll("input").forEach((el, i) => {
            el.checked = form.querySelectorAll("input")[i].checked; });
        form.replaceWith(copy);
        const had = copy.querySelector("input[name=csrf_token]") !== null;
        copy.requestSubmit();
        return had;
    }""")
    assert had_token is True  # the fragment's form carries its token itself
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()
    assert "The CSRF token is missing" not in page.content()
    with app.app_context():
        from portal.extensions import db
        from portal.models import Transaction

        assert db.session.query(Transaction).filter_by(voucher_id=voucher.id).count() == 1
    context.close()


def test_f40_focus_stays_where_the_officer_put_it_before_the_step_settled(
    app, world, browser, live_server
):
    """After a step is swapped in, the focus moves to its heading when htmx settles (~20 ms
    later) — unless the officer already focused something in the new step (a tap or Tab in
    between): then their Enter must not land on the heading."""
    carnet, voucher = _voucher(world)
    context, page = _open_desk(app, world, browser, live_server)
    _type_codes(page, carnet, voucher)
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    _wait_focused(page)  # no one moved the focus: the heading has it
    # the officer reaches the Commit button between step 4's swap and its settle
    page.evaluate("""() => document.body.addEventListener("htmx:afterSwap", () => {
        const button = document.querySelector("#step form.commit-form button[type=submit]");
        if (button) button.focus();
    }, {once: true})""")
    page.get_by_role("button", name="Next: commit").click()
    page.get_by_role("heading", name="4. Commit the validation").wait_for()
    commit = page.get_by_role("button", name="Commit")
    expect(commit).to_be_focused()
    page.wait_for_timeout(100)  # well after the settle
    expect(commit).to_be_focused()
    page.get_by_label("Yes").check()
    commit.click()
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()
    context.close()
