"""F-81: the directory's map works with the network cut off — every request to anything but
the local server is aborted, and the map still shows the world and the offices."""

from __future__ import annotations

import pytest

from portal.domain.sessions import open_session
from portal.extensions import db as database

pytestmark = pytest.mark.browser


def test_f81_map_page_with_the_network_cut_off(app, browser, live_server, account_of):
    with database.new_session() as s:
        us = open_session(s, s.merge(account_of("be", "officer")))
        s.commit()
        sid = us.id
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
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
        page.locator("svg#office-map [data-office]").last.click(force=True)  # markers may overlap
        page.wait_for_url("**/directory/offices/*")
        assert aborted == []  # nothing was even asked of another origin
    finally:
        context.close()
