"""The customs menu's counts (F-51 pending pre-declarations, F-80 unread news) are read again on
every page — one statement, built once per role, its values (administration, region, reader,
time) bound per request: they follow each change at once and stay within each account's reach
(R-16, R-17)."""

from __future__ import annotations

import html

from portal.domain import predeclarations as pd
from portal.domain.info import news
from tests.support.predeclarations import form, ready_import


def _page(client, path: str = "/") -> str:
    r = client.get(path)
    assert r.status_code == 200
    return html.unescape(r.get_data(as_text=True))


def _send(world, office):
    _, _, v = ready_import(world)
    p = pd.send(world.session, world.holder, v.id, form(office))
    world.session.commit()
    return p


def test_f51_menu_count_follows_the_pending_predeclarations(world, desk):
    d = desk("fr")
    assert "Pre-declarations (" not in _page(d.client)
    first = _send(world, d.officer.office)
    assert "Pre-declarations (1)" in _page(d.client)
    _send(world, d.officer.office)
    assert "Pre-declarations (2)" in _page(d.client, "/transactions/new")
    assert d.client.post(f"/predeclarations/{first.id}/acknowledge").status_code == 303
    assert "Pre-declarations (1)" in _page(d.client)  # acknowledged: no longer pending


def test_r16_r17_menu_count_stays_within_each_accounts_reach(world, desk, login_as):
    officer = desk("fr")
    other_region = world.others["fr"].office
    assert other_region.region_id != officer.officer.office.region_id
    _send(world, officer.officer.office)
    _send(world, other_region)
    assert "Pre-declarations (1)" in _page(officer.client)  # not the other region's
    assert "Pre-declarations (2)" in _page(login_as("fr", "admin"))  # every region
    assert "Pre-declarations (" not in _page(login_as("be", "admin"))  # another administration


def test_f80_menu_count_of_unread_news_drops_once_read(world, login_as):
    items = [
        news.save_news(
            world.session,
            None,
            title=f"Customs notice {i}",
            body="Body",
            audience=audience,
            language="en",
            publish_at=None,
            expires_at=None,
        )
        for i, audience in enumerate(("customs", "all", "holders"))
    ]
    world.session.commit()
    officer = login_as("be", "officer")
    assert "News (2)" in _page(officer)  # the holders' news is not for customs
    assert officer.get(f"/news/{items[0].id}").status_code == 200
    assert "News (1)" in _page(officer)
    assert "News (2)" in _page(login_as("be", "controller"))  # read markers are per account
