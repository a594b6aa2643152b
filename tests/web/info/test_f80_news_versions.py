"""F-80 / F-83: a news written in several languages is one item per language, the others
versions of the first; readers see one version of each — in their language, else English, else
the first written — on the news pages, the home pages and in the search, never two languages
of the same news. Reading one version reads the news."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.db import now_utc
from portal.domain import DomainError
from portal.domain.info import news
from portal.models import Account, Holder, NewsItem


@pytest.fixture
def stories(session):
    """A holders' news in en/fr/es, one in fr and en only, one in English only."""
    now = now_utc()

    def add(title, language, version_of=None, days=1, audience="holders"):
        return news.save_news(session, None, title=title, body=f"{title} quokka",
                              audience=audience, language=language,
                              publish_at=now - dt.timedelta(days=days), expires_at=None,
                              version_of=version_of)  # fmt: skip

    map_en = add("Map en", "en")
    made = {
        "map_en": map_en,
        "map_fr": add("Map fr", "fr", map_en),
        "map_es": add("Map es", "es", map_en),
    }
    made["fees_fr"] = add("Fees fr", "fr", days=2)
    made["fees_en"] = add("Fees en", "en", made["fees_fr"], days=2)
    made["only_en"] = add("Only en", "en", days=3)
    session.commit()
    return made


def _titles(html: str) -> list[tuple[str, str]]:
    """The news linked on a page (list, home block, search results)."""
    return re.findall(r">(Map|Fees|Only) (en|fr|es)</a>", html)


def _speak(session, holder_id: int, language: str | None) -> None:
    session.get(Holder, holder_id).language = language
    session.commit()


@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", {("Map", "fr"), ("Fees", "fr"), ("Only", "en")}),
        ("es", {("Map", "es"), ("Fees", "en"), ("Only", "en")}),
        ("en", {("Map", "en"), ("Fees", "en"), ("Only", "en")}),
    ],
)
def test_f80_news_pages_show_one_version_of_each_news(
    holder_client, stories, session, language, expected
):
    _speak(session, holder_client.holder_id, language)
    page = holder_client.get("/info/news").get_data(as_text=True)
    assert set(_titles(page)) == expected and len(_titles(page)) == 3
    home = holder_client.get("/my/carnets").get_data(as_text=True)
    block = home.split('class="latest-news"', 1)[1]
    assert set(_titles(block)) == expected
    found = holder_client.get("/info/search?q=quokka").get_data(as_text=True)
    assert set(_titles(found)) == expected and len(_titles(found)) == 3


def test_f80_reading_one_version_reads_the_news(holder_client, stories, session):
    _speak(session, holder_client.holder_id, "fr")
    assert "data-unread>3<" in holder_client.get("/info/help").get_data(as_text=True)
    holder_client.get(f"/info/news/{stories['map_fr'].id}")
    assert "data-unread>2<" in holder_client.get("/info/help").get_data(as_text=True)
    _speak(session, holder_client.holder_id, "en")  # the English version: read already
    page = holder_client.get("/info/news").get_data(as_text=True)
    article = page.split("Map en", 1)[0].rsplit("<article", 1)[1]
    assert "unread" not in article
    assert page.count("data-unread>New<") == 2


def test_f80_customs_readers_see_their_language_too(login_as, session, account_of):
    now = now_utc()
    first = news.save_news(session, None, title="Desk en", body="", audience="customs",
                           language="en", publish_at=now, expires_at=None)  # fmt: skip
    news.save_news(session, None, title="Desk es", body="", audience="customs", language="es",
                   publish_at=now, expires_at=None, version_of=first)  # fmt: skip
    session.get(Account, account_of("be", "officer").id).language = "es"
    session.commit()
    officer = login_as("be", "officer")
    page = officer.get("/news").get_data(as_text=True)
    assert "Desk es" in page and "Desk en" not in page
    home = officer.get("/").get_data(as_text=True)
    assert "Desk es" in home and "Desk en" not in home


def test_f80_one_version_per_language_and_no_versions_of_versions(session, stories):
    with pytest.raises(DomainError) as refused:
        news.save_news(session, None, title="Map fr again", body="", audience="holders",
                       language="fr", publish_at=None, expires_at=None,
                       version_of=stories["map_es"])  # fmt: skip
    assert refused.value.field == "language"
    session.rollback()
    # a version of a version belongs to the first one
    de_like = news.save_news(session, None, title="Only fr", body="", audience="holders",
                             language="fr", publish_at=None, expires_at=None,
                             version_of=stories["only_en"])  # fmt: skip
    assert de_like.version_of == stories["only_en"].id
    # a news with versions cannot become a version of another
    first = session.get(NewsItem, stories["map_en"].id)
    with pytest.raises(DomainError) as refused:
        news.save_news(session, first, title="Map en", body="", audience="holders",
                       language="en", publish_at=None, expires_at=None,
                       version_of=stories["only_en"])  # fmt: skip
    assert refused.value.field == "version_of"
    session.rollback()
    assert session.get(NewsItem, stories["map_en"].id).version_of is None


def test_f80_deleting_the_first_version_deletes_its_versions(session, stories):
    gone = news.delete_news(session, session.get(NewsItem, stories["map_en"].id))
    session.commit()
    assert {v.title for v in gone} == {"Map fr", "Map es"}
    assert session.get(NewsItem, stories["map_fr"].id) is None
    assert session.get(NewsItem, stories["map_es"].id) is None
    shown = news.visible_news(session, "holders", language="en")
    assert [i.title for i in shown if i.title.startswith("Map")] == []
    # a version alone goes alone
    assert news.delete_news(session, session.get(NewsItem, stories["fees_en"].id)) == []
    session.commit()
    assert session.get(NewsItem, stories["fees_fr"].id) is not None


def test_f80_operator_writes_a_version(operator_client, session, stories):
    c = operator_client
    form = c.get("/console/news/new").get_data(as_text=True)
    assert f'value="{stories["map_en"].id}"' in form and "Map en (en)" in form
    assert f'value="{stories["map_fr"].id}"' not in form  # versions are not offered
    data = {"csrf_token": c.csrf_token(), "title": "Only es", "body": "", "audience": "holders",
            "language": "es", "version_of": str(stories["only_en"].id)}  # fmt: skip
    assert c.post("/console/news/new", data=data).status_code == 303
    saved = session.query(NewsItem).filter_by(title="Only es").one()
    assert saved.version_of == stories["only_en"].id
    listing = c.get("/console/news").get_data(as_text=True)
    assert "version of Only en" in listing
    # a second Spanish version: refused next to the language, nothing saved
    again = dict(data, title="Only es twice")
    refused = c.post("/console/news/new", data=again)
    assert refused.status_code == 422
    assert "This news already has a version in this language." in refused.get_data(as_text=True)
    assert session.query(NewsItem).filter_by(title="Only es twice").count() == 0
