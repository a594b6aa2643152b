"""The information views shared by the customs portal and the wallet: each site passes who
reads (the reader kind and id for the unread markers) and its layout. Someone not signed in
reads them too (a locked-out holder needs the help most): the site's help and guides, and of
the news, the directory and the search only what is for everyone."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, request, url_for

from portal.domain.info import directory, news, search
from portal.domain.info import help as help_domain
from portal.extensions import db
from portal.i18n import current_language
from portal.web import render_page


@dataclass(frozen=True)
class Reader:
    kind: str  # the site's readers: 'customs' | 'holders'
    id: str | None  # 'c:<account id>' | 'h:<holder id>'; None: nobody signed in
    layout: str  # the site's layout template
    endpoint: str  # the blueprint's name: 'info' | 'info_wallet'

    @property
    def signed_in(self) -> bool:
        return self.id is not None

    @property
    def news_kind(self) -> str:
        """Whose news they read: the site's readers', or 'public' (for everyone)."""
        return self.kind if self.signed_in else "public"

    @property
    def audiences(self) -> tuple[str, ...]:
        """The audiences of the news, directory and search entries they may read."""
        return news.READERS[self.news_kind]

    @property
    def help_audiences(self) -> tuple[str, ...]:
        """The audiences of the help pages and guides: the site's, signed in or not."""
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
    items = news.visible_news(db.session, reader.news_kind, language=language())
    # someone not signed in has no unread markers
    read = news.read_ids(db.session, reader.id, items) if reader.id else {i.id for i in items}
    return render_page(
        "info/news.html", layout=reader.layout, items=items, read=read, ep=reader.endpoint
    )


def news_item_page(reader: Reader, news_id: int):
    item = news.visible_item(db.session, reader.news_kind, news_id)
    if item is None:
        abort(404)
    if reader.id:
        news.mark_read(db.session, reader.id, item)
        db.session.commit()
    return render_page("info/news_item.html", layout=reader.layout, item=item, ep=reader.endpoint)


def directory_page(reader: Reader):
    """NGAs and chambers for everyone; the customs offices (each administration's own data,
    shared in the directory between customs users) only for a signed-in customs user."""
    with_offices = reader.kind == "customs" and reader.signed_in
    return render_page(
        "info/directory.html",
        layout=reader.layout,
        ngas=directory.ngas(db.session),
        administrations=directory.offices(db.session) if with_offices else [],
        ep=reader.endpoint,
        with_offices=with_offices,
    )


def help_page(reader: Reader):
    audiences = reader.help_audiences
    return render_page(
        "info/help.html",
        layout=reader.layout,
        guides=help_domain.guides_for(audiences, language()),
        pages=help_domain.pages(db.session, audiences, "page", language()),
        faq=help_domain.pages(db.session, audiences, "faq", language()),
        ep=reader.endpoint,
    )


def guide_page(reader: Reader, slug: str):
    guide = help_domain.guide(slug, language())
    if guide is None or guide.audience not in reader.help_audiences:
        abort(404)
    return render_page(
        "info/guide.html",
        layout=reader.layout,
        guide=guide,
        html=help_domain.render_guide(guide),
        ep=reader.endpoint,
    )


def help_item_page(reader: Reader, slug: str):
    page = help_domain.page_by_slug(db.session, slug, reader.help_audiences, language())
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
        search.search(
            db.session,
            q,
            language=language(),
            audiences=reader.audiences,
            help_audiences=reader.help_audiences,
        )
        if q
        else []
    )
    results = [(h, hit_url(h, reader.endpoint)) for h in hits]
    g.search_q = q
    return render_page(
        "info/search.html", layout=reader.layout, q=q, results=results, ep=reader.endpoint
    )
