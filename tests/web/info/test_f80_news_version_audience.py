"""F-80 (issue 17): a news' versions in other languages reach the same readers at the same
time as the news — they take its audience and dates, whatever the form sent —, and deleting a
news deletes its versions after a confirmation naming them (never a version promoted to a
news of its own)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.db import now_utc
from portal.domain.info import news
from portal.models import AuditEvent, NewsItem


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _customs_news(session):
    publish = (now_utc() - dt.timedelta(days=1)).replace(microsecond=0)
    expires = publish + dt.timedelta(days=30)
    first = news.save_news(session, None, title="Customs en", body="", audience="customs",
                           language="en", publish_at=publish, expires_at=expires)  # fmt: skip
    session.commit()
    return first


def test_f80_a_version_takes_its_news_audience_and_dates(session):
    first = _customs_news(session)
    version = news.save_news(session, None, title="Aduanas es", body="", audience="holders",
                             language="es", publish_at=None, expires_at=None,
                             version_of=first)  # fmt: skip
    session.commit()
    assert (version.audience, version.publish_at, version.expires_at) == (
        "customs",
        first.publish_at,
        first.expires_at,
    )
    # holders never see it, customs readers in Spanish do
    assert "Aduanas es" not in [
        i.title for i in news.visible_news(session, "holders", language="es")
    ]
    assert "Aduanas es" in [i.title for i in news.visible_news(session, "customs", language="es")]
    # the news' new audience and dates reach its versions
    later = first.publish_at + dt.timedelta(hours=2)
    news.save_news(session, first, title="Customs en", body="", audience="chambers",
                   language="en", publish_at=later, expires_at=None)  # fmt: skip
    session.commit()
    session.expire_all()
    version = session.get(NewsItem, version.id)
    assert (version.audience, version.publish_at, version.expires_at) == ("chambers", later, None)
    # editing the version cannot give it an audience of its own
    news.save_news(session, version, title="Aduanas es", body="", audience="all",
                   language="es", publish_at=None, expires_at=None,
                   version_of=first)  # fmt: skip
    session.commit()
    assert session.get(NewsItem, version.id).audience == "chambers"


def test_f80_console_version_form_keeps_the_news_audience(operator_client, session):
    first = _customs_news(session)
    c = operator_client
    data = {"title": "Aduanas es", "body": "", "audience": "holders", "language": "es",
            "version_of": str(first.id)}  # fmt: skip
    assert c.post("/console/news/new", data=_form(c, data)).status_code == 303
    version = session.scalar(select(NewsItem).where(NewsItem.title == "Aduanas es"))
    assert version.audience == "customs"
    page = c.get(f"/console/news/{version.id}").get_data(as_text=True)
    assert (
        'id="audience"' in page
        and "disabled"
        in page.split('id="audience"')[0][-200:] + (page.split('id="audience"')[1][:200])
    )
    assert "A version has the audience and dates of its news." in page
    # saving the version without the disabled fields works and keeps the news' audience
    saved = c.post(
        f"/console/news/{version.id}",
        data=_form(
            c, {"title": "Aduanas es 2", "body": "", "language": "es", "version_of": str(first.id)}
        ),  # fmt: skip
    )
    assert saved.status_code == 303
    session.expire_all()
    version = session.get(NewsItem, version.id)
    assert (version.title, version.audience) == ("Aduanas es 2", "customs")


def test_f80_deleting_a_news_with_versions_asks_then_deletes_them_all(operator_client, session):
    first = _customs_news(session)
    version = news.save_news(session, None, title="Douane fr", body="", audience="customs",
                             language="fr", publish_at=None, expires_at=None,
                             version_of=first)  # fmt: skip
    session.commit()
    first_id, version_id = first.id, version.id
    c = operator_client
    asked = c.post(f"/console/news/{first_id}/delete", data=_form(c, {}))
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert 'id="news-confirm"' in page and "Douane fr" in page
    session.expire_all()
    assert session.get(NewsItem, first_id) is not None  # nothing deleted yet
    # without CSRF: refused, even confirmed
    assert (
        c.post(f"/console/news/{first_id}/delete", data={"confirm": "yes"}, csrf=False).status_code
        == 400
    )
    done = c.post(f"/console/news/{first_id}/delete", data=_form(c, {"confirm": "yes"}))
    assert done.status_code == 303
    session.expire_all()
    assert session.get(NewsItem, first_id) is None and session.get(NewsItem, version_id) is None
    deleted = session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "news.deleted")
    ).all()
    assert sorted(deleted) == sorted([str(first_id), str(version_id)])


def test_f80_deleting_a_news_without_versions_needs_no_confirmation(operator_client, session):
    first_id = _customs_news(session).id
    c = operator_client
    assert c.post(f"/console/news/{first_id}/delete", data=_form(c, {})).status_code == 303
    session.expire_all()
    assert session.get(NewsItem, first_id) is None
