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
from portal.models import HelpPage

HELP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "help")
# slug → (audience, who reads it); the file is portal/help/<slug>.md
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
    title: str
    body: str  # Markdown
    sections: tuple[Section, ...]


def anchor_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


@lru_cache(maxsize=8)
def guide(slug: str) -> Guide | None:
    if slug not in GUIDES:
        return None
    with open(os.path.join(HELP_DIR, f"{slug}.md"), encoding="utf-8") as fh:
        body = fh.read()
    lines = body.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else slug
    sections: list[Section] = []
    current: str | None = None
    buf: list[str] = []
    for line in lines[1:]:
        if line.startswith("## "):
            if current:
                sections.append(Section(anchor_of(current), current, "\n".join(buf)))
            current, buf = line[3:].strip(), []
        else:
            buf.append(line)
    if current:
        sections.append(Section(anchor_of(current), current, "\n".join(buf)))
    return Guide(slug, GUIDES[slug], title, "\n".join(lines[1:]), tuple(sections))


def guides_for(audiences: tuple[str, ...]) -> list[Guide]:
    return [g for slug, aud in GUIDES.items() if aud in audiences and (g := guide(slug))]


def render_guide(g: Guide):
    """The guide as safe HTML, each section heading with its anchor (links from screens)."""
    html = str(markdown.render(g.body))
    for section in g.sections:
        heading = str(markdown.render("## " + section.title)).strip()
        html = html.replace(heading, heading.replace("<h2>", f'<h2 id="{section.anchor}">'), 1)
    return markdown.Markup(html)


def index_guides(session: Session) -> int:
    n = 0
    for slug, audience in GUIDES.items():
        g = guide(slug)
        if g is None:
            continue
        for section in g.sections:
            search.upsert(
                session,
                "guide",
                f"{slug}#{section.anchor}",
                title=f"{g.title}: {section.title}",
                body=markdown.plain(section.text),
                audience=audience,
            )
            n += 1
    return n


def pages(session: Session, audiences: tuple[str, ...], kind: str | None = None) -> list[HelpPage]:
    stmt = select(HelpPage).where(HelpPage.audience.in_(audiences))
    if kind:
        stmt = stmt.where(HelpPage.kind == kind)
    return list(session.scalars(stmt.order_by(HelpPage.position, HelpPage.title)))


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
    rows.sort(key=lambda p: (p.language != language, p.language != "en"))
    return rows[0] if rows else None
