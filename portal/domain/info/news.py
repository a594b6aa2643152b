"""News (F-80): written by operators, shown to their audience between publish and expiry, in
the customs portal, the wallet and the NICS documentation; read markers per reader. A news in
several languages is one item per language, the others versions of the first (`version_of`):
a reader sees one version of each, in their language, else English, else the first written."""

from __future__ import annotations

import datetime as dt
import functools

from flask_babel import gettext as _
from sqlalchemy import DateTime, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from portal.db import now_utc
from portal.domain import DomainError
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.info import texts
from portal.domain.info.texts import AUDIENCES
from portal.models import NewsItem, NewsRead

# who sees which audiences: a site's readers see their own and 'all' (Everyone); someone not
# signed in ('public': a visitor of the customs portal or the wallet) only 'all'
READERS = {
    "customs": ("customs", "all"),
    "holders": ("holders", "all"),
    "chambers": ("chambers", "all"),
    "public": ("all",),
    "operator": AUDIENCES,
}
# the id a news' versions share
STORY = func.coalesce(NewsItem.version_of, NewsItem.id)


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
    version_of: NewsItem | None = None,
    actor: Actor = OPERATOR,
) -> NewsItem:
    """Create (item None) or change a news item; its search entry follows. `version_of`: the
    news this item is another language's version of (one version per language). A version
    has its news' audience and dates whatever was given (a Spanish version of a customs news
    reaches customs, never others); a news' new audience or dates reach its versions."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the news a title."), field="title")
    story = _story_of(session, item, version_of)
    original = (
        session.get(NewsItem, story)
        if story is not None and (item is None or story != item.id)
        else None
    )
    if original is not None:
        audience, publish_at, expires_at = (
            original.audience,
            original.publish_at,
            original.expires_at,
        )
    texts.check_audience_language(audience, language)
    if story is not None:
        others = select(NewsItem.id).where(STORY == story, NewsItem.language == language)
        if item is not None:
            others = others.where(NewsItem.id != item.id)
        if session.scalar(others) is not None:
            raise DomainError(
                _("This news already has a version in this language."), field="language"
            )
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
    item.version_of = story if story != item.id else None
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
    if item.version_of is None and not created:
        _versions_follow(session, item, actor)
    return item


def _versions_follow(session: Session, first: NewsItem, actor: Actor) -> None:
    """The versions of `first` take its audience and dates (and their search entries)."""
    own = (first.audience, first.publish_at, first.expires_at)
    for version in session.scalars(select(NewsItem).where(NewsItem.version_of == first.id)):
        if (version.audience, version.publish_at, version.expires_at) == own:
            continue
        version.audience, version.publish_at, version.expires_at = own
        session.flush()
        texts.saved(
            session,
            version,
            created=False,
            actor=actor,
            data={"audience": first.audience, "version_of": first.id},
            publish_at=first.publish_at,
            expires_at=first.expires_at,
        )


def _story_of(session: Session, item: NewsItem | None, version_of: NewsItem | None) -> int | None:
    """The story the saved item belongs to (None: a new item of its own)."""
    if version_of is None:
        return item.id if item is not None else None
    story = version_of.story
    if item is not None and story != item.story:
        has_versions = session.scalar(select(NewsItem.id).where(NewsItem.version_of == item.id))
        if has_versions is not None:
            raise DomainError(
                _("This news has versions in other languages: it cannot become a version."),
                field="version_of",
            )
    if item is not None and story == item.id:
        return item.id
    return story


def versions(session: Session, item: NewsItem) -> list[NewsItem]:
    """Every version of the item's news, itself included, the first written first."""
    return list(session.scalars(select(NewsItem).where(STORY == item.story).order_by(NewsItem.id)))


def first_versions(session: Session, *, but: NewsItem | None = None) -> list[NewsItem]:
    """The news a version can be added to (their first versions), newest first, but the item
    `but` (the one being edited)."""
    stmt = select(NewsItem).where(NewsItem.version_of.is_(None))
    if but is not None:
        stmt = stmt.where(NewsItem.id != but.id)
    return list(session.scalars(stmt.order_by(NewsItem.publish_at.desc(), NewsItem.id.desc())))


def versions_gone_with(session: Session, item: NewsItem) -> list[NewsItem]:
    """The versions deleted with `item`: all of its news' others when it is the first (a
    version never becomes a news of its own, with an audience of its own), else none."""
    if item.version_of is not None:
        return []
    return [v for v in versions(session, item) if v.id != item.id]


def delete_news(session: Session, item: NewsItem, *, actor: Actor = OPERATOR) -> list[NewsItem]:
    """The item gone, and with the first version every other version of its news (the caller
    asked for a confirmation naming them). Returns the versions deleted with it."""
    gone = versions_gone_with(session, item)
    for version in gone:
        texts.delete(session, version, actor=actor)
    session.flush()
    texts.delete(session, item, actor=actor)
    return gone


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
    """Published, unexpired news for `reader_kind` ('customs', 'holders', 'chambers',
    'public'), one version of each: in `language`, else English, else the first written; those
    in `language` first, then newest first."""
    language = language or "en"
    rank = (
        func.row_number()
        .over(
            partition_by=STORY,
            order_by=(
                NewsItem.language != language,
                NewsItem.language != "en",
                NewsItem.id,
            ),
        )
        .label("rank")
    )
    ranked = _visible(reader_kind, now or now_utc()).add_columns(rank).subquery()
    shown = aliased(NewsItem, ranked)
    stmt = (
        select(shown)
        .where(ranked.c.rank == 1)
        .order_by(shown.language != language, shown.publish_at.desc(), shown.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def visible_item(
    session: Session, reader_kind: str, news_id: int, now: dt.datetime | None = None
) -> NewsItem | None:
    return session.scalar(_visible(reader_kind, now or now_utc()).where(NewsItem.id == news_id))


def _read_stories(reader: str):
    """The news (any version of which) `reader` opened."""
    return (
        select(STORY)
        .select_from(NewsRead)
        .join(NewsItem, NewsItem.id == NewsRead.news_id)
        .where(NewsRead.reader == reader)
    )


def read_ids(session: Session, reader: str, items: list[NewsItem]) -> set[int]:
    """Those of `items` the reader read — in this or in another language."""
    if not items:
        return set()
    stories = set(session.scalars(_read_stories(reader).where(STORY.in_({i.story for i in items}))))
    return {i.id for i in items if i.story in stories}


def unread(reader_kind: str, reader, now=None) -> ScalarSelect[int]:
    """How many news the reader can see and opened in no language, as a scalar subquery (the
    customs menu reads it with its other counts in one statement; `reader` and `now` may be
    bind parameters there)."""
    now = now_utc() if now is None else now
    visible = _visible(reader_kind, now).with_only_columns(STORY.label("story")).subquery()
    return (
        select(func.count(func.distinct(visible.c.story)))
        .where(visible.c.story.not_in(_read_stories(reader)))
        .scalar_subquery()
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
