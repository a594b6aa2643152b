"""WCAG 2.2 AA on the main pages of the customs desk, the wallet, the customs administration and
monitoring: axe-core (npm, devDependency; node_modules/axe-core/axe.min.js) runs in Chromium over
each page and finds no serious or critical violation; every page has exactly one h1, a main
landmark, and no empty table header.

axe is injected by Playwright into a context that bypasses the CSP for this (the pages' own CSP
allows no inline script); the pages themselves are served as usual."""

from __future__ import annotations

import os

import pytest

from portal.db import now_utc
from portal.domain.vouchers import code_of
from tests.browser.test_f40_customs_desk import _log_in
from tests.support import factory

pytestmark = pytest.mark.browser

AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")
AXE_RUN = r"""async () => {
  const r = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                    "best-practice"]},
    resultTypes: ["violations"],
  });
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.help + " — "
      + v.nodes.slice(0, 3).map(n => n.target.join(" ") + " [" + n.failureSummary
        .replace(/\s+/g, " ").slice(0, 160) + "]").join(", "));
}"""
STRUCTURE = """() => ({
  h1: document.querySelectorAll("h1").length,
  main: document.querySelectorAll("main, [role=main]").length,
  emptyHeaders: [...document.querySelectorAll("th")].filter(th =>
    !th.textContent.trim() && !th.getAttribute("aria-label")).length,
})"""


def _context(browser, **options):
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(15_000)
    return context


def _audit(page, found: dict) -> None:
    """axe and the page's structure, recorded under the page's path."""
    page.wait_for_load_state("load")
    path = page.url.split("/", 3)[-1]
    page.add_script_tag(path=AXE)
    problems = page.evaluate(AXE_RUN)
    s = page.evaluate(STRUCTURE)
    if s["h1"] != 1:
        problems.append(f"{s['h1']} h1 elements")
    if s["main"] != 1:
        problems.append(f"{s['main']} main landmarks")
    if s["emptyHeaders"]:
        problems.append(f"{s['emptyHeaders']} empty table headers")
    if problems:
        found["/" + path] = problems


def test_f40_wcag_desk_pages_have_no_serious_violations(app, world, browser, live_server):
    """Every step of the wizard (step 4 also with a refusal shown), On hold with a held carnet,
    Last transactions, the receipt, and the portal's home."""
    carnet = factory.issue(world, items=3)
    t = factory.travel(world, carnet, "CH", "FR")
    voucher = factory.voucher(world, t, "validation")
    other = factory.issue(world, items=1)
    held = factory.voucher(world, factory.travel(world, other, "CH", "FR"), "validation")
    from portal.domain.transactions import hold_carnet

    hold_carnet(world.session, held.id, world.officer("ch"), "Papers to check")
    world.session.commit()
    context = _context(browser)
    page = context.new_page()
    _log_in(app, context, live_server, world.officer("ch").account)
    found: dict = {}
    url = lambda path: live_server.url("customs", "ch", path)  # noqa: E731
    page.goto(url("/"))
    _audit(page, found)
    page.goto(url("/transactions/new"))
    page.locator("#recent").wait_for()
    _audit(page, found)
    page.get_by_label("Carnet eATA ID or carnet number").fill(str(carnet.eata_id))
    page.get_by_label("Transaction code").fill(code_of(voucher))
    page.get_by_role("button", name="Look up the carnet").click()
    page.get_by_role("heading", name="2. Check the carnet").wait_for()
    page.locator("#carnet-lists table").first.wait_for()
    _audit(page, found)
    page.get_by_role("button", name="Next: check goods").click()
    page.get_by_role("heading", name="3. Check the goods").wait_for()
    _audit(page, found)
    page.get_by_role("button", name="Next: commit").click()
    page.get_by_role("heading", name="4. Commit the validation").wait_for()
    page.get_by_role("button", name="Commit", exact=True).click()
    page.locator("#goods_examined-error").wait_for()
    _audit(page, found)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Commit", exact=True).click()
    page.get_by_role("heading", name="5. Receipt: validation committed").wait_for()
    _audit(page, found)
    for path in ("/holds", "/transactions/last"):
        page.goto(url(path))
        _audit(page, found)
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
    context.close()


def test_f11_wcag_admin_and_monitoring_pages_have_no_serious_violations(
    app, world, browser, live_server
):
    from portal.domain.demo import demo_email
    from portal.models import Account

    admin = world.session.query(Account).filter_by(email=demo_email("ch", "admin")).one()
    context = _context(browser)
    page = context.new_page()
    _log_in(app, context, live_server, admin)
    found: dict = {}
    for path in (
        "/",
        "/admin/accounts",
        "/admin/accounts/new",
        "/admin/offices",
        "/admin/offices/new",
        "/admin/regions",
        "/admin/regions/new",
        "/admin/settings",
        "/monitoring/transits",
        "/monitoring/logs",
        "/monitoring/statistics",
        "/monitoring/claims",
    ):
        page.goto(live_server.url("customs", "ch", path))
        _audit(page, found)
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
    context.close()


def test_f30_wcag_wallet_pages_have_no_serious_violations(app, world, browser, live_server):
    from portal.domain import wallet as wallet_domain
    from portal.extensions import db

    carnet = factory.issue(world, items=3)
    t = factory.travel(world, carnet, "CH", "FR")
    voucher = factory.voucher(world, t, "validation")
    with db.new_session() as s:
        from portal.models import Holder, HolderCredential

        # a wallet account (registration makes the credential with the holder)
        s.add(HolderCredential(holder_id=world.holder.id, password_hash="x", pin_hash="x"))
        hs = wallet_domain.open_holder_session(s, s.get(Holder, world.holder.id), mfa_pending=False)
        hs.unlocked_at = now_utc()
        s.commit()
        sid = hs.id
    context = _context(browser)
    serializer = app.session_interface.get_signing_serializer(app)
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": serializer.dumps({"_user_id": f"h:{sid}", "_fresh": True}),
                "url": live_server.url("wallet", path="/"),
            }
        ]
    )
    page = context.new_page()
    found: dict = {}
    for path in (
        "/my/carnets",
        f"/my/carnets/{carnet.id}",
        "/my/travels",
        f"/my/travels/{t.id}",
        f"/my/vouchers/{voucher.id}",
        f"/my/carnets/{carnet.id}/travels/new",
        "/my/notifications",
        "/my/account",
    ):
        page.goto(live_server.url("wallet", path=path))
        _audit(page, found)
    # the pages before logging in
    anonymous = _context(browser)
    page = anonymous.new_page()
    for path in ("/my/login", "/my/register", "/my/password/forgot"):
        page.goto(live_server.url("wallet", path=path))
        _audit(page, found)
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
    context.close()
    anonymous.close()
