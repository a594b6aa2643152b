"""What the operator's texts — news items and help pages — share when they are saved or
deleted: the checks of audience and language, the search entry that follows the text, and the
audit event of the operator who did it (one way for both; news.py and help.py call it)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.domain import DomainError, audit
from portal.domain.api_clients import Actor
from portal.domain.info import markdown, search
from portal.models import HelpPage, NewsItem

AUDIENCES = ("customs", "holders", "chambers", "all")
LANGUAGES = ("en", "fr", "es")
# the search kind and the audit object type of each text
KINDS: dict[type, tuple[str, str]] = {NewsItem: ("news", "news"), HelpPage: ("help", "help_page")}


def check_audience_language(audience: str, language: str) -> None:
    if audience not in AUDIENCES:
        raise DomainError(_("Choose who the text is for."), field="audience")
    if language not in LANGUAGES:
        raise DomainError(_("Choose the language of the text."), field="language")


def _ref(text: NewsItem | HelpPage) -> object:
    # news are found by id; help pages by their address (one per language)
    return text.id if isinstance(text, NewsItem) else text.slug


def saved(
    session: Session,
    text: NewsItem | HelpPage,
    *,
    created: bool,
    actor: Actor,
    data: dict,
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> None:
    """After a text was created or changed (and flushed): its search entry written again, the
    operator's audit event `<kind>.created` / `<kind>.changed`."""
    kind, object_type = KINDS[type(text)]
    search.upsert(
        session,
        kind,
        _ref(text),
        title=text.title,
        body=markdown.plain(text.body),
        language=text.language,
        audience=text.audience,
        publish_at=publish_at,
        expires_at=expires_at,
    )
    audit.by_actor(
        session,
        f"{kind}.{'created' if created else 'changed'}",
        actor,
        object_type=object_type,
        object_id=text.id,
        data=data,
    )


def unindex(session: Session, text: NewsItem | HelpPage) -> None:
    """The text's search entry gone (before its address or language changes, or it goes)."""
    kind, _object_type = KINDS[type(text)]
    search.remove(session, kind, _ref(text), language=text.language)


def delete(session: Session, text: NewsItem | HelpPage, *, actor: Actor) -> None:
    """The text, its search entry gone; the operator's audit event `<kind>.deleted`."""
    kind, object_type = KINDS[type(text)]
    unindex(session, text)
    audit.by_actor(
        session,
        f"{kind}.deleted",
        actor,
        object_type=object_type,
        object_id=text.id,
        data={"title": text.title},
    )
    session.delete(text)
