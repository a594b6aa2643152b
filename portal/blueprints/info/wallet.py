"""The wallet's News, Help, directory of NGAs and chambers, and Search (F-80 … F-82), public:
someone not logged in (or with a locked wallet) reads them too — for everyone's news, the
holders' help."""

from __future__ import annotations

from flask import Blueprint, g

from portal.blueprints.info import pages
from portal.blueprints.wallet.session import holder_required
from portal.domain.info import news as news_domain
from portal.extensions import db

bp = Blueprint("info_wallet", __name__, url_prefix="/info")


@bp.app_context_processor
def news_unread() -> dict:
    """The wallet menu's count of unread news (F-80)."""
    holder = g.get("holder")
    site = g.get("site")
    if holder is None or site is None or site.kind != "wallet":
        return {}
    return {"news_unread": news_domain.unread_count(db.session, "holders", f"h:{holder.id}")}


def _reader() -> pages.Reader:
    holder = g.get("holder")
    reader = f"h:{holder.id}" if holder is not None else None
    return pages.Reader("holders", reader, "wallet/layout.html", "info_wallet")


@bp.get("/news")
@holder_required(public=True)
def news():
    return pages.news_page(_reader())


@bp.get("/news/<int:news_id>")
@holder_required(public=True)
def news_item(news_id: int):
    return pages.news_item_page(_reader(), news_id)


@bp.get("/directory", endpoint="directory")
@holder_required(public=True)
def directory_page():
    return pages.directory_page(_reader())


@bp.get("/help")
@holder_required(public=True)
def help_index():
    return pages.help_page(_reader())


@bp.get("/help/guides/<slug>")
@holder_required(public=True)
def guide(slug: str):
    return pages.guide_page(_reader(), slug)


@bp.get("/help/<slug>")
@holder_required(public=True)
def help_item(slug: str):
    return pages.help_item_page(_reader(), slug)


@bp.get("/search")
@holder_required(public=True)
def search():
    return pages.search_page(_reader())
