"""WCAG 2.2 AA on the information pages (news, directory and its map, help, search) and the
operator's console: axe-core finds no serious or critical violation, one h1, one main landmark
(the same audit as tests/browser/test_accessibility.py); at 800×1280 no page scrolls
sideways."""

from __future__ import annotations

import pytest

from portal.db import now_utc
from portal.domain.info import demo as info_demo
from portal.domain.info import operators
from portal.extensions import db
from portal.models import Operator
from tests.browser.test_accessibility import _audit, _context
from tests.browser.test_f40_customs_desk import _log_in

pytestmark = pytest.mark.browser


def _operator_logged_in(app, context, live_server) -> None:
    """The browser context gets the session of the (only) operator, both factors given."""
    with db.new_session() as s:
        operator = s.query(Operator).one()
        row = operators.open_session(s, operator, "127.0.0.1")
        row.mfa_at = now_utc()
        s.commit()
        sid = row.id
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"o:{sid}", "_fresh": True}
    )
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": live_server.url("ops", path="/"),
            }
        ]
    )


def test_f80_f82_wcag_information_and_console_pages(app, world, browser, live_server):
    from portal.domain.demo import demo_email
    from portal.models import Account

    with db.new_session() as s:
        info_demo.load_demo_info(s)
        s.commit()
    officer = world.session.query(Account).filter_by(email=demo_email("ch", "officer")).one()
    context = _context(browser)
    page = context.new_page()
    _log_in(app, context, live_server, officer)
    _operator_logged_in(app, context, live_server)
    found: dict = {}
    for path in (
        "/",
        "/news",
        "/directory",
        "/directory/map",
        "/help",
        "/help/guides/customs",
        "/search?q=office",
    ):
        page.goto(live_server.url("customs", "ch", path))
        _audit(page, found)
    for path in (
        "/console/",
        "/console/operators",
        "/console/ngas",
        "/console/api-clients",
        "/console/administrations",
        "/console/ata-status",
        "/console/news",
        "/console/news/new",
        "/console/help-pages",
    ):
        page.goto(live_server.url("ops", path=path))
        _audit(page, found)
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
    # on a tablet held upright, nothing makes the page scroll sideways (wide tables scroll
    # inside it)
    page.set_viewport_size({"width": 800, "height": 1280})
    wide = []
    for url in (
        live_server.url("customs", "ch", "/"),
        live_server.url("customs", "ch", "/directory"),
        live_server.url("customs", "ch", "/help/guides/customs"),
        live_server.url("ops", path="/console/operators"),
        live_server.url("ops", path="/console/news"),
        live_server.url("ops", path="/console/administrations"),
    ):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 800:
            wide.append((url, width))
    assert not wide
    context.close()


def test_f80_console_on_a_landscape_tablet(app, world, browser, live_server):
    """At 1024×768 the console's top bar is one compact line (the log-out button a 44 px
    touch target), the side menu's items share one left edge, and an association's staff page
    (states, first admin) passes the audit."""
    from portal.domain import api_clients

    with db.new_session() as s:
        info_demo.load_demo_info(s)
        nga = api_clients.create_nga(s, "BE", "NGA (tablet)")
        ia = api_clients.create_issuing_association(s, nga, "CCI (tablet)")
        s.commit()
        ia_id = ia.id
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", bypass_csp=True, viewport={"width": 1024, "height": 768}
    )
    page = context.new_page()
    _operator_logged_in(app, context, live_server)
    found: dict = {}
    for path in ("/console/", f"/console/associations/{ia_id}/staff", "/console/news"):
        page.goto(live_server.url("ops", path=path))
        _audit(page, found)
        header = page.locator("header.topbar").bounding_box()
        assert header["height"] <= 64, (path, header)
        logout = page.get_by_role("button", name="Log out").bounding_box()
        assert logout["height"] >= 44
        lefts = {
            round(box["x"])
            for box in (a.bounding_box() for a in page.locator(".sidenav a").all())
            if box
        }
        assert len(lefts) == 1, (path, lefts)
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
    context.close()
