"""F-80 News: the audience and the dates decide who sees what (customs portal, wallet, NICS
docs page); the unread marker is per account."""

from __future__ import annotations

import datetime as dt

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
