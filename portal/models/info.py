"""Information pages (F-80 … F-82) and the operator's console: operators and their sessions,
news and who read them, help pages and FAQ, and the one search index over news, help and the
directory (docs/information.md, docs/operator.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc

__all__ = ["Operator", "OperatorSession", "NewsItem", "NewsRead", "HelpPage", "SearchEntry"]

# The search index lives outside the models, built by migration 0015 for each database: the
# FTS5 table (and its shadow tables) on SQLite, the tsvector column and its GIN index on
# PostgreSQL. Autogenerate and the models-vs-migrations test leave them alone.
SEARCH_INDEX_OBJECTS = {
    ("table", "search_fts"),
    ("table", "search_fts_data"),
    ("table", "search_fts_idx"),
    ("table", "search_fts_docsize"),
    ("table", "search_fts_config"),
    ("column", "tsv"),
    ("index", "ix_search_entry_tsv"),
}


def include_in_migrations(_object, name, type_, reflected, _compare_to) -> bool:
    """Alembic's include_object: everything but the search index objects above."""
    return not (reflected and (type_, name) in SEARCH_INDEX_OBJECTS)


class Operator(Base):
    """A person who runs the deployment (ops.<domain>): password and TOTP, always both."""

    __tablename__ = "operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-case
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)  # encrypted with the data key
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)  # refuses TOTP replays
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    # invited in the console: the link's keyed hash until the password is set (migration 0019)
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # flask-login's user protocol (the loader sets session_id; portal/blueprints/ops)
    actor_type = "operator"
    session_id = None  # type: str | None
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"o:{self.session_id}"


class OperatorSession(Base):
    """One operator login; `mfa_at` is set once the TOTP code was given (nothing before)."""

    __tablename__ = "operator_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    mfa_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))

    operator: Mapped[Operator] = relationship()


class NewsItem(Base):
    """A news item (F-80): Markdown body, shown to its audience between publish and expiry."""

    __tablename__ = "news_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    audience: Mapped[str] = mapped_column(String(10), default="all")  # customs|holders|chambers|all
    language: Mapped[str] = mapped_column(String(5), default="en")
    publish_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    # another language's version of the item `version_of` (the first written, never itself a
    # version): a reader sees one version of each news, in their language, else English
    version_of: Mapped[int | None] = mapped_column(
        ForeignKey("news_item.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    @property
    def story(self) -> int:
        """The news this item tells, whatever its language: the id its versions share."""
        return self.version_of or self.id


class NewsRead(Base):
    """That a reader opened a news item: `reader` is 'c:<account id>', 'h:<holder id>' or
    'n:<api client id>' (the unread marker is per account)."""

    __tablename__ = "news_read"
    __table_args__ = (UniqueConstraint("news_id", "reader"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_item.id", ondelete="CASCADE"))
    reader: Mapped[str] = mapped_column(String(40), index=True)
    read_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class HelpPage(Base):
    """A help page or an FAQ entry written by the operator (the guides ship as files in
    portal/help/)."""

    __tablename__ = "help_page"
    __table_args__ = (UniqueConstraint("slug", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="faq")  # 'faq' | 'page'
    audience: Mapped[str] = mapped_column(String(10), default="all")
    language: Mapped[str] = mapped_column(String(5), default="en")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class SearchEntry(Base):
    """One searchable text (a news item, a help page, a guide section, an office, an NGA, an
    issuing association). Indexed by SQLite FTS5 (`search_fts`, kept by triggers) or by
    PostgreSQL's `tsv` column (a trigger, with the dictionary of `language`): migration 0015."""

    __tablename__ = "search_entry"
    __table_args__ = (UniqueConstraint("kind", "ref", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # news | help | guide | office | nga | ia
    ref: Mapped[str] = mapped_column(String(80))  # the object's id or slug
    language: Mapped[str] = mapped_column(String(5), default="en")
    audience: Mapped[str] = mapped_column(String(10), default="all")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    publish_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
