"""The information views shared by the customs portal and the wallet: each site passes who
reads (the reader kind and id for the unread markers) and its layout."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, request, url_for

from portal.domain.info import help as help_domain
from portal.domain.info import news, search
from portal.extensions import db
from portal.i18n import current_language
from portal.web import render_page


@dataclass(frozen=True)
class Reader:
    kind: str  # 'customs' | 'holders'
    id: str  # 'c:<account id>' | 'h:<holder id>'
    layout: str  # the site's layout template
    endpoint: str  # the blueprint's name: 'info' | 'info_wallet'

    @property
    def audiences(self) -> tuple[str, ...]:
        return news.READERS[self.kind]


def language() -> str:
    # "en", "fr", "es" — not the format locale (English pages format dates as en_GB)
    return current_language()


def latest_news(kind: str, reader_id: str, endpoint: str, limit: int = 5) -> dict:
    """The context of info/_latest_news.html on a home page (the customs home, the wallet's
    carnets): the reader's latest news in their language first, and which ones they read."""
    items = news.visible_news(db.session, kind, language=language(), limit=limit)
    return {
        "latest_news": items,
        "read_news": news.read_ids(db.session, reader_id, items),
        "news_ep": endpoint,
    }


def news_page(reader: Reader):
    items = news.visible_news(db.session, reader.kind, language=language())
    read = news.read_ids(db.session, reader.id, items)
    return render_page(
        "info/news.html", layout=reader.layout, items=items, read=read, ep=reader.endpoint
    )


def news_item_page(reader: Reader, news_id: int):
    item = news.visible_item(db.session, reader.kind, news_id)
    if item is None:
        abort(404)
    news.mark_read(db.session, reader.id, item)
    db.session.commit()
    return render_page("info/news_item.html", layout=reader.layout, item=item, ep=reader.endpoint)


def help_page(reader: Reader):
    return render_page(
        "info/help.html",
        layout=reader.layout,
        guides=help_domain.guides_for(reader.audiences, language()),
        pages=help_domain.pages(db.session, reader.audiences, "page", language()),
        faq=help_domain.pages(db.session, reader.audiences, "faq", language()),
        ep=reader.endpoint,
    )


def guide_page(reader: Reader, slug: str):
    guide = help_domain.guide(slug, language())
    if guide is None or guide.audience not in reader.audiences:
        abort(404)
    return render_page(
        "info/guide.html",
        layout=reader.layout,
        guide=guide,
        html=help_domain.render_guide(guide),
        ep=reader.endpoint,
    )


def help_item_page(reader: Reader, slug: str):
    page = help_domain.page_by_slug(db.session, slug, reader.audiences, language())
    if page is None:
        abort(404)
    return render_page("info/help_page.html", layout=reader.layout, page=page, ep=reader.endpoint)


def hit_url(hit: search.Hit, endpoint: str) -> str | None:
    if hit.kind == "news":
        return url_for(f"{endpoint}.news_item", news_id=int(hit.ref))
    if hit.kind == "help":
        return url_for(f"{endpoint}.help_item", slug=hit.ref)
    if hit.kind == "guide":
        slug, _, anchor = hit.ref.partition("#")
        return url_for(f"{endpoint}.guide", slug=slug, _anchor=anchor or None)
    if hit.kind == "office" and endpoint == "info":
        return url_for("info.office", office_id=int(hit.ref))
    if hit.kind in ("nga", "ia"):
        return url_for(f"{endpoint}.directory", _anchor=f"{hit.kind}-{hit.ref}")
    return None


def search_page(reader: Reader):
    q = request.args.get("q", "").strip()[: search.MAX_QUERY]
    hits = (
        search.search(db.session, q, language=language(), audiences=reader.audiences) if q else []
    )
    results = [(h, hit_url(h, reader.endpoint)) for h in hits]
    g.search_q = q
    return render_page(
        "info/search.html", layout=reader.layout, q=q, results=results, ep=reader.endpoint
    )
