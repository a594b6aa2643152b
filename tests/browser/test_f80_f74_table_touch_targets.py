"""F-80 / F-74 on a landscape tablet (1024×768, issue 17): the links in the console's and the
chamber portal's tables are 44 px touch targets, and the chamber Staff page's "Send a new
invitation" button is whole — not cut by the table's edge, its words not clipped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients, chambers
from portal.domain.info import demo as info_demo
from portal.domain.passwords import hash_secret
from portal.extensions import db
from portal.models import Country
from tests.browser.test_f74_chamber_tablet import _logged_in
from tests.browser.test_f80_f82_accessibility import _operator_logged_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ata_statuses")]

CUT = """(el) => {
  const box = el.getBoundingClientRect();
  let p = el.parentElement, clipped = false;
  while (p) {
    const s = getComputedStyle(p);
    if (s.overflowX !== 'visible') {
      const r = p.getBoundingClientRect();
      if (box.left < r.left - 0.5 || box.right > r.right + 0.5) clipped = true;
    }
    p = p.parentElement;
  }
  return clipped || box.right > window.innerWidth || el.scrollWidth > el.clientWidth + 1;
}"""


def _tablet(browser):
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", bypass_csp=True, has_touch=True,
        viewport={"width": 1024, "height": 768},
    )  # fmt: skip
    context.set_default_timeout(15_000)
    return context


def test_f80_console_table_links_are_44px_touch_targets(app, world, browser, live_server):
    with db.new_session() as s:
        info_demo.load_demo_info(s)
        s.commit()
    context = _tablet(browser)
    _operator_logged_in(app, context, live_server)
    page = context.new_page()
    for path in ("/console/news", "/console/ngas"):
        page.goto(live_server.url("ops", path=path))
        links = page.locator("main table td a").all()
        assert links, path
        heights = [link.bounding_box()["height"] for link in links if link.is_visible()]
        assert heights and min(heights) >= 44, (path, min(heights))
    context.close()


def test_f74_chamber_staff_buttons_are_whole_at_1024(app, world, browser, live_server):
    s = world.session
    ia = api_clients.create_issuing_association(s, world.nga, "CCI Genève (wide)")
    admin = chambers.create_staff(
        s, ia, "admin.with.a.long.address@cci-geneve.test", "Adélaïde Administratrice-Longnom",
        "admin", actor=api_clients.OPERATOR,
    )  # fmt: skip
    admin.password_hash = hash_secret("chamber-passw0rd-long")
    admin.last_login_at = now_utc()
    waiting = chambers.create_staff(
        s, ia, "someone.invited.recently@cci-geneve.test", "Bartholomé Invité-Récemment",
        "staff", actor=api_clients.OPERATOR,
    )  # fmt: skip
    chambers.issue_invitation(s, waiting)
    for country in s.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status = "paper"
    s.commit()
    context = _tablet(browser)
    _logged_in(app, context, live_server, admin.id)
    page = context.new_page()
    page.goto(live_server.url("chamber", path="/chamber/staff"))
    button = page.get_by_role("button", name="Send a new invitation").first
    button.wait_for()
    assert not button.evaluate(CUT)
    assert button.bounding_box()["height"] >= 44
    context.close()
