"""Help (F-82): the guides shipped as Markdown files in portal/help/ (one per audience, plus
how to get support), and the help pages and FAQ the operator writes in the console."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.info import markdown, search, texts
from portal.domain.info.texts import LANGUAGES
from portal.models import HelpPage

HELP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "help")
# slug → who reads it. English: portal/help/<slug>.md; a translation: portal/help/<lang>/<slug>.md
# with the same "## " sections in the same order (their anchors are the English ones, so the
# help links of the screens work in every language); a missing translation falls back to English
GUIDES = {
    "customs": "customs",
    "wallet": "holders",
    "chambers": "chambers",
    "support": "all",
}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    text: str


@dataclass(frozen=True)
class Guide:
    slug: str
    audience: str
    language: str
    title: str
    body: str  # Markdown
    sections: tuple[Section, ...]


def anchor_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


def _path(slug: str, language: str) -> str:
    if language == "en":
        return os.path.join(HELP_DIR, f"{slug}.md")
    return os.path.join(HELP_DIR, language, f"{slug}.md")


def _parse(slug: str, language: str, body: str, anchors: list[str] | None) -> Guide:
    lines = body.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else slug
    parts: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        if line.startswith("## "):
            parts.append((line[3:].strip(), []))
        elif parts:
            parts[-1][1].append(line)
    if anchors is not None and len(anchors) != len(parts):
        raise ValueError(f"help/{language}/{slug}.md: {len(parts)} sections, English has "
                         f"{len(anchors)}")  # fmt: skip
    sections = tuple(
        Section(anchors[i] if anchors else anchor_of(t), t, "\n".join(text))
        for i, (t, text) in enumerate(parts)
    )
    return Guide(slug, GUIDES[slug], language, title, "\n".join(lines[1:]), sections)


@lru_cache(maxsize=32)
def guide(slug: str, language: str = "en") -> Guide | None:
    """The guide in `language`, else in English (None: no such guide)."""
    if slug not in GUIDES:
        return None
    with open(_path(slug, "en"), encoding="utf-8") as fh:
        english = _parse(slug, "en", fh.read(), None)
    if language not in LANGUAGES or language == "en" or not os.path.exists(_path(slug, language)):
        return english
    with open(_path(slug, language), encoding="utf-8") as fh:
        return _parse(slug, language, fh.read(), [s.anchor for s in english.sections])


def guide_languages(slug: str) -> list[str]:
    """English and the languages the guide is translated into."""
    return [
        "en",
        *(lang for lang in LANGUAGES if lang != "en" and os.path.exists(_path(slug, lang))),
    ]


def guides_for(audiences: tuple[str, ...], language: str = "en") -> list[Guide]:
    return [g for slug, aud in GUIDES.items() if aud in audiences and (g := guide(slug, language))]


def render_guide(g: Guide):
    """The guide as safe HTML, each section heading with its anchor (links from screens)."""
    html = str(markdown.render(g.body))
    for section in g.sections:
        heading = str(markdown.render("## " + section.title)).strip()
        html = html.replace(heading, heading.replace("<h2>", f'<h2 id="{section.anchor}">'), 1)
    return markdown.Markup(html)


def index_guides(session: Session) -> int:
    """Every section of every guide in each of its languages, as a search entry."""
    n = 0
    for slug, audience in GUIDES.items():
        for language in guide_languages(slug):
            g = guide(slug, language)
            if g is None:
                continue
            for section in g.sections:
                search.upsert(
                    session,
                    "guide",
                    f"{slug}#{section.anchor}",
                    title=f"{g.title} — {section.title}",
                    body=markdown.plain(section.text),
                    language=language,
                    audience=audience,
                )
                n += 1
    return n


def _preferred(rows: list[HelpPage], language: str) -> HelpPage:
    return min(rows, key=lambda p: (p.language != language, p.language != "en", p.language))


def pages(
    session: Session, audiences: tuple[str, ...], kind: str | None = None, language: str = "en"
) -> list[HelpPage]:
    """The help pages (or FAQ entries) the audiences may read, each address once: in
    `language`, else in English, else in another language."""
    stmt = select(HelpPage).where(HelpPage.audience.in_(audiences))
    if kind:
        stmt = stmt.where(HelpPage.kind == kind)
    by_slug: dict[str, list[HelpPage]] = {}
    for row in session.scalars(stmt.order_by(HelpPage.position, HelpPage.title)):
        by_slug.setdefault(row.slug, []).append(row)
    chosen = [_preferred(rows, language) for rows in by_slug.values()]
    return sorted(chosen, key=lambda p: (p.position, p.title))


def save_page(
    session: Session, page: HelpPage | None, data: dict, *, actor: Actor = OPERATOR
) -> HelpPage:
    title = (data.get("title") or "").strip()
    slug = (data.get("slug") or anchor_of(title)).strip().lower()
    kind = data.get("kind") or "faq"
    audience = data.get("audience") or "all"
    language = data.get("language") or "en"
    if not title:
        raise DomainError(_("Give the page a title."), field="title")
    if not SLUG.match(slug):
        raise DomainError(_("The address may hold only letters, digits and hyphens."), field="slug")
    if kind not in ("faq", "page"):
        raise DomainError(_("Choose the kind and the audience of the page."), field="kind")
    texts.check_audience_language(audience, language)
    clash = session.scalar(
        select(HelpPage).where(HelpPage.slug == slug, HelpPage.language == language)
    )
    if clash is not None and clash is not page:
        raise Conflict(_("Another page in this language has this address."), field="slug")
    created = page is None
    if page is None:
        page = HelpPage()
        session.add(page)
    else:
        texts.unindex(session, page)  # its address or language may change
    page.slug, page.kind, page.audience, page.language = slug, kind, audience, language
    page.title, page.body, page.updated_at = title[:200], data.get("body") or "", now_utc()
    page.position = int(data.get("position") or 0)
    session.flush()
    texts.saved(
        session, page, created=created, actor=actor, data={"title": page.title, "slug": slug}
    )
    return page


def delete_page(session: Session, page: HelpPage, *, actor: Actor = OPERATOR) -> None:
    texts.delete(session, page, actor=actor)


def page_by_slug(
    session: Session, slug: str, audiences: tuple[str, ...], language: str
) -> HelpPage | None:
    rows = list(
        session.scalars(
            select(HelpPage).where(HelpPage.slug == slug, HelpPage.audience.in_(audiences))
        )
    )
    return _preferred(rows, language) if rows else None
