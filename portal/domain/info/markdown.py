"""The one way Markdown written by people (news, help pages, guides) becomes HTML: markdown-it
(CommonMark, raw HTML off) and then the nh3 sanitiser with an allow-list, so scripts, event
handlers, `javascript:` links and styles come out inert whatever the text holds."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render(text: str) -> Markup:
    """Safe HTML of `text` (Markdown); h1 is kept for the page title, so headings start at h2."""
    rendered = _md.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        rendered,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 (sanitised above)


def plain(text: str) -> str:
    """The words of `text` without markup (search index, summaries)."""
    return html.unescape(nh3.clean(_md.render(text or ""), tags=set())).strip()
