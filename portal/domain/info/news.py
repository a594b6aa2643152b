"""News (F-80): written by operators, shown to their audience between publish and expiry, in
the customs portal, the wallet and the NICS documentation; read markers per reader."""

from __future__ import annotations

import datetime as dt
import functools

from flask_babel import gettext as _
from sqlalchemy import DateTime, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.info import texts
from portal.domain.info.texts import AUDIENCES
from portal.models import NewsItem, NewsRead

# who sees which audiences: a site's readers see their own and 'all'
READERS = {
    "customs": ("customs", "all"),
    "holders": ("holders", "all"),
    "chambers": ("chambers", "all"),
    "operator": AUDIENCES,
}


def save_news(
    session: Session,
    item: NewsItem | None,
    *,
    title: str,
    body: str,
    audience: str,
    language: str,
    publish_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    actor: Actor = OPERATOR,
) -> NewsItem:
    """Create (item None) or change a news item; its search entry follows."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the news a title."), field="title")
    texts.check_audience_language(audience, language)
    publish_at = publish_at or now_utc()
    if expires_at is not None and expires_at <= publish_at:
        raise DomainError(_("The expiry date must come after the publication date."), "expires_at")
    created = item is None
    if item is None:
        item = NewsItem(author_id=actor.id)
        session.add(item)
    else:
        texts.unindex(session, item)  # its language may change
    item.title, item.body, item.audience, item.language = (
        title[:200],
        body or "",
        audience,
        language,
    )
    item.publish_at, item.expires_at, item.updated_at = publish_at, expires_at, now_utc()
    session.flush()
    texts.saved(
        session,
        item,
        created=created,
        actor=actor,
        data={"title": item.title, "audience": audience},
        publish_at=publish_at,
        expires_at=expires_at,
    )
    return item


def delete_news(session: Session, item: NewsItem, *, actor: Actor = OPERATOR) -> None:
    texts.delete(session, item, actor=actor)


def _visible(reader_kind: str, now: dt.datetime):
    return select(NewsItem).where(
        NewsItem.audience.in_(READERS[reader_kind]),
        NewsItem.publish_at <= now,
        (NewsItem.expires_at.is_(None)) | (NewsItem.expires_at > now),
    )


def visible_news(
    session: Session,
    reader_kind: str,
    *,
    language: str | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> list[NewsItem]:
    """Published, unexpired news for `reader_kind` ('customs', 'holders', 'chambers'), newest
    first; those in `language` before the others."""
    stmt = _visible(reader_kind, now or now_utc())
    order = [NewsItem.publish_at.desc(), NewsItem.id.desc()]
    if language:
        order.insert(0, (NewsItem.language != language))
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def visible_item(
    session: Session, reader_kind: str, news_id: int, now: dt.datetime | None = None
) -> NewsItem | None:
    return session.scalar(_visible(reader_kind, now or now_utc()).where(NewsItem.id == news_id))


def read_ids(session: Session, reader: str, items: list[NewsItem]) -> set[int]:
    if not items:
        return set()
    return set(
        session.scalars(
            select(NewsRead.news_id).where(
                NewsRead.reader == reader, NewsRead.news_id.in_([i.id for i in items])
            )
        )
    )


def unread(reader_kind: str, reader, now=None) -> ScalarSelect[int]:
    """How many news the reader can see and has not opened, as a scalar subquery (the customs
    menu reads it with its other counts in one statement; `reader` and `now` may be bind
    parameters there)."""
    now = now_utc() if now is None else now
    visible = _visible(reader_kind, now).with_only_columns(NewsItem.id).subquery()
    read = select(NewsRead.news_id).where(NewsRead.reader == reader)
    return (
        select(func.count()).select_from(visible).where(visible.c.id.not_in(read)).scalar_subquery()
    )


def unread_count(session: Session, reader_kind: str, reader: str) -> int:
    params = {"reader": reader, "now": now_utc()}
    return session.execute(_unread_statement(reader_kind), params).scalar() or 0


@functools.cache
def _unread_statement(reader_kind: str) -> Select:
    """unread_count's statement, built once per kind of reader (every wallet page reads it)."""
    return select(unread(reader_kind, bindparam("reader"), bindparam("now", type_=DateTime)))


def mark_read(session: Session, reader: str, item: NewsItem) -> None:
    exists = session.scalar(
        select(NewsRead.id).where(NewsRead.news_id == item.id, NewsRead.reader == reader)
    )
    if exists is None:
        try:
            with session.begin_nested():  # the same reader in two tabs at once: one row
                session.add(NewsRead(news_id=item.id, reader=reader))
        except IntegrityError:
            pass


def all_news(session: Session) -> list[NewsItem]:
    return list(session.scalars(select(NewsItem).order_by(NewsItem.publish_at.desc())))
