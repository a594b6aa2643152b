"""F-80 News: the audience and the dates decide who sees what (customs portal, wallet, NICS
docs page); the unread marker is per account."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from portal.db import now_utc
from portal.domain import DomainError
from portal.domain.info import news


@pytest.fixture
def items(session):
    now = now_utc()

    def add(title, audience, publish=-1, expires=None, language="en", body=""):
        return news.save_news(
            session,
            None,
            title=title,
            body=body,
            audience=audience,
            language=language,
            publish_at=now + dt.timedelta(days=publish),
            expires_at=None if expires is None else now + dt.timedelta(days=expires),
        )

    made = {
        "customs": add("For customs", "customs"),
        "holders": add("For holders", "holders"),
        "chambers": add("For chambers", "chambers"),
        "all": add("For everyone", "all"),
        "future": add("Not yet", "all", publish=2),
        "expired": add("Gone", "all", publish=-5, expires=-1),
        "evil": add("Evil", "customs", body="<script>alert(1)</script>[x](javascript:alert(1))"),
    }
    session.commit()
    return made


def test_f80_customs_see_their_audience_within_the_dates(login_as, items):
    client = login_as("be", "officer")
    page = client.get("/news").get_data(as_text=True)
    assert "For customs" in page and "For everyone" in page
    for hidden in ("For holders", "For chambers", "Not yet", "Gone"):
        assert hidden not in page
    assert client.get(f"/news/{items['holders'].id}").status_code == 404
    assert client.get(f"/news/{items['future'].id}").status_code == 404
    assert client.get(f"/news/{items['expired'].id}").status_code == 404


def test_f80_news_body_is_rendered_inert(login_as, items):
    page = login_as("be", "officer").get(f"/news/{items['evil'].id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert 'href="javascript' not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, never run


def test_f80_unread_marker_per_account(login_as, items, account_of):
    officer = login_as("be", "officer")
    assert officer.get("/news").get_data(as_text=True).count("data-unread") == 3
    home = officer.get("/").get_data(as_text=True)
    assert "Latest news" in home and "For customs" in home and "News (3)" in home
    officer.get(f"/news/{items['customs'].id}")
    assert officer.get("/news").get_data(as_text=True).count("data-unread") == 2
    # another account still has all three unread
    other = login_as("be", "controller")
    assert other.get("/news").get_data(as_text=True).count("data-unread") == 3


def test_f80_wallet_shows_holders_news(holder_client, items):
    page = holder_client.get("/info/news").get_data(as_text=True)
    assert "For holders" in page and "For everyone" in page
    assert "For customs" not in page and "For chambers" not in page
    assert holder_client.get(f"/info/news/{items['customs'].id}").status_code == 404
    layout = holder_client.get("/info/help").get_data(as_text=True)
    assert "data-unread>2<" in layout
    holder_client.get(f"/info/news/{items['holders'].id}")
    assert "data-unread>1<" in holder_client.get("/info/help").get_data(as_text=True)


def test_f80_nics_docs_page_shows_chambers_news(client_for, items):
    page = client_for("api").get("/v1/docs").get_data(as_text=True)
    assert "For chambers" in page and "For everyone" in page
    assert "For customs" not in page and "For holders" not in page and "Gone" not in page


def test_f80_news_refusals(session):
    with pytest.raises(DomainError):
        news.save_news(session, None, title="x", body="", audience="martians", language="en",
                       publish_at=None, expires_at=None)  # fmt: skip
    with pytest.raises(DomainError):
        now = now_utc()
        news.save_news(session, None, title="x", body="", audience="all", language="en",
                       publish_at=now, expires_at=now - dt.timedelta(hours=1))  # fmt: skip


def _latest_ids(html: str) -> list[int]:
    import re

    block = html.split('class="latest-news"', 1)[1]
    return [int(n) for n in re.findall(r'data-news="(\d+)"', block)]


def test_f80_wallet_home_shows_the_latest_holders_news_with_unread_markers(holder_client, items):
    page = holder_client.get("/my/carnets").get_data(as_text=True)
    assert "Latest news" in page
    assert _latest_ids(page) == [items["all"].id, items["holders"].id]  # newest first
    for hidden in ("For customs", "For chambers", "Not yet", "Gone"):
        assert hidden not in page
    block = page.split('class="latest-news"', 1)[1]
    assert block.count("data-unread") == 2
    holder_client.get(f"/info/news/{items['holders'].id}")
    again = holder_client.get("/my/carnets").get_data(as_text=True).split('class="latest-news"')[1]
    assert again.count("data-unread") == 1


def test_f80_home_pages_put_the_readers_language_first(
    holder_client, login_as, items, session, account_of
):
    from portal.models import Account, Holder

    now = now_utc()
    older = dict(body="", publish_at=now - dt.timedelta(days=3), expires_at=None)
    fr_all = news.save_news(
        session, None, title="Pour tous", audience="all", language="fr", **older
    )
    es_all = news.save_news(
        session, None, title="Para todos", audience="all", language="es", **older
    )
    session.get(Holder, holder_client.holder_id).language = "fr"
    session.commit()
    wallet = holder_client.get("/my/carnets").get_data(as_text=True)
    assert _latest_ids(wallet)[0] == fr_all.id  # older, but in the holder's language
    assert f'lang="fr" data-news="{fr_all.id}"' in wallet
    officer = login_as("be", "officer")
    session.get(Account, account_of("be", "officer").id).language = "es"
    session.commit()
    home = officer.get("/").get_data(as_text=True)
    assert _latest_ids(home)[0] == es_all.id
    # an English reader: English first (the page's format locale en_GB is not its language)
    session.get(Account, account_of("be", "officer").id).language = "en"
    session.commit()
    old_en = news.save_news(session, None, title="Old", audience="all", language="en", body="",
                            publish_at=now - dt.timedelta(days=5), expires_at=None)  # fmt: skip
    session.commit()
    ids = _latest_ids(officer.get("/").get_data(as_text=True))
    english = {items["customs"].id, items["all"].id, items["evil"].id, old_en.id}
    assert set(ids[:4]) == english  # the five days old English item before the newer fr/es


def test_f80_controllers_home_has_the_search_bar_and_latest_news(login_as, items):
    """The controller's guide: a search bar over news, help and directory, and the news with
    "See all news" on the home page."""
    page = login_as("be", "controller").get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page
    assert set(_latest_ids(page)) == {items["customs"].id, items["all"].id, items["evil"].id}
    assert "See all news" in page and 'href="/news"' in page


def _cells(page_html: str, column: int) -> list[str]:
    """The texts of one column of a console list's rows."""
    rows = re.findall(r"<tr>(.*?)</tr>", page_html, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [html.unescape(re.sub(r"<[^>]+>", "", c[column])).strip() for c in cells if c]


def test_f80_console_lists_say_the_audience_in_words(operator_client, items, session):
    from portal.domain.info import help as help_domain

    help_domain.save_page(
        session, None, {"title": "Q", "body": "b", "kind": "faq", "audience": "chambers"}
    )
    session.commit()
    page = operator_client.get("/console/news").get_data(as_text=True)
    audiences = _cells(page, 1)
    assert {"Customs", "Holders", "Chambers of commerce", "Everyone"} <= set(audiences)
    assert not {"customs", "holders", "chambers", "all"} & set(audiences)  # not the stored values
    assert set(_cells(page, 2)) == {"English"}
    french = operator_client.get("/console/news", headers={"Accept-Language": "fr"})
    assert {"Douane", "Titulaires", "Chambres de commerce", "Tout le monde"} <= set(
        _cells(french.get_data(as_text=True), 1)
    )
    pages = operator_client.get("/console/help-pages").get_data(as_text=True)
    assert _cells(pages, 1) == ["FAQ entry"] and _cells(pages, 2) == ["Chambers of commerce"]
