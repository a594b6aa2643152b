"""F-81: the directory's map works with the network cut off — every request to anything but
the local server is aborted, and the map still shows the world and the offices; on a tablet
each office is a target of 24 px or more that no other covers, reachable with the keyboard."""

from __future__ import annotations

import itertools
import math

import pytest

from portal.domain.sessions import open_session
from portal.extensions import db as database

pytestmark = pytest.mark.browser


def _officer_context(app, browser, live_server, account_of, **options):
    with database.new_session() as s:
        us = open_session(s, s.merge(account_of("be", "officer")))
        s.commit()
        sid = us.id
    context = browser.new_context(locale="en-GB", timezone_id="UTC", **options)
    context.set_default_timeout(15_000)
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"c:{sid}", "_fresh": True}
    )
    context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": live_server.url("customs", "be", "/"),
            }
        ]
    )
    return context


def test_f81_map_page_with_the_network_cut_off(app, browser, live_server, account_of):
    context = _officer_context(app, browser, live_server, account_of)
    local = f":{live_server.port}/"
    aborted: list[str] = []

    def cut_off(route):
        url = route.request.url
        if url.startswith("http://") and ".eata.test" + local in url:
            route.continue_()
        else:
            aborted.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", cut_off)
    page = context.new_page()
    try:
        page.goto(live_server.url("customs", "be", "/directory"))
        page.get_by_role("button", name="Map of the customs offices").click()
        page.wait_for_url("**/directory/map")
        svg = page.locator("svg#office-map")
        svg.wait_for()
        assert page.locator("svg#office-map path").count() > 150
        markers = page.locator("svg#office-map [data-office] circle")
        assert markers.count() >= 3
        box = svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
        marker = markers.first.bounding_box()
        assert marker is not None and box["x"] <= marker["x"] <= box["x"] + box["width"]
        page.locator("svg#office-map [data-office]").last.click()  # no marker covers another
        page.wait_for_url("**/directory/offices/*")
        assert aborted == []  # nothing was even asked of another origin
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1024, 768), (768, 1024)])
def test_f81_map_targets_on_a_tablet(app, browser, live_server, account_of, size):
    width, height = size
    context = _officer_context(
        app, browser, live_server, account_of, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    try:
        page.goto(live_server.url("customs", "be", "/directory/map"))
        hits = page.locator("svg#office-map [data-office] .hit")
        boxes = [hits.nth(i).bounding_box() for i in range(hits.count())]
        assert len(boxes) >= 3
        for box in boxes:
            assert box is not None and box["width"] >= 24 and box["height"] >= 24
        for a, b in itertools.combinations(boxes, 2):  # circles: centres a diameter apart
            ax, ay = a["x"] + a["width"] / 2, a["y"] + a["height"] / 2
            bx, by = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
            assert math.hypot(ax - bx, ay - by) >= a["width"] - 0.5
        # what a tap at each target's centre reaches is that office
        offices = page.locator("svg#office-map [data-office]")
        for i, box in enumerate(boxes):
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            under = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).closest('[data-office]')"
                "?.getAttribute('data-office')",
                [x, y],
            )
            assert under == offices.nth(i).get_attribute("data-office")
        # keyboard: Tab from the link before the map reaches an office; Enter opens it
        page.get_by_role("link", name="Back to the directory").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('data-office')")
        assert focused is not None
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/directory/offices/{focused}")
    finally:
        context.close()
