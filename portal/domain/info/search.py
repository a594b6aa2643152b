"""One search over news, help and the directory (F-80 … F-82): the one domain function
`search`, on SQLite FTS5 (the embedded default) or PostgreSQL full-text search (production),
both built by migration 0015. Entries are written with `upsert` / `remove` by the modules that
own the texts (news, help, directory); the results come in the reader's language first, each
text once: a guide section, a help page or a news written in several languages is found in the
reader's language, else in English, else in the first language there is."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.models import NewsItem, SearchEntry

MAX_QUERY = 200
WORD = re.compile(r"\w+", re.UNICODE)
# the kinds whose audience is the site's, not the reader's: help and guides are read by someone
# not signed in too (locked out of the wallet, a lost authenticator app)
HELP_KINDS = ("help", "guide")
# PostgreSQL: a row was indexed with its language's dictionary; the query is read with each
# of them, so a French entry is found by its French stems and an English one by its English
PG_CONFIGS = ("english", "french", "spanish", "simple")


@dataclass(frozen=True)
class Hit:
    kind: str  # news | help | guide | office | nga | ia
    ref: str
    language: str
    title: str
    body: str


def upsert(
    session: Session,
    kind: str,
    ref: object,
    *,
    title: str,
    body: str = "",
    language: str = "en",
    audience: str = "all",
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> None:
    """The entry of (kind, ref, language), created or replaced (the index follows at once)."""
    ref = str(ref)
    entry = session.scalar(
        select(SearchEntry).where(
            SearchEntry.kind == kind, SearchEntry.ref == ref, SearchEntry.language == language
        )
    )
    if entry is None:
        entry = SearchEntry(kind=kind, ref=ref, language=language)
        session.add(entry)
    entry.title = title[:300]
    entry.body = body
    entry.audience = audience
    entry.publish_at = publish_at
    entry.expires_at = expires_at
    session.flush()


def remove(session: Session, kind: str, ref: object, language: str | None = None) -> None:
    """The entry of (kind, ref) gone from the index (in `language` only, if given)."""
    stmt = delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.ref == str(ref))
    if language is not None:
        stmt = stmt.where(SearchEntry.language == language)
    session.execute(stmt)


def without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(query: str) -> list[str]:
    return WORD.findall((query or "")[:MAX_QUERY].lower())[:12]


_SQLITE = """
SELECT e.kind, e.ref, e.language, e.title, e.body
FROM search_fts JOIN search_entry e ON e.id = search_fts.rowid
WHERE search_fts MATCH :q AND {audience}
  AND (e.publish_at IS NULL OR e.publish_at <= :now)
  AND (e.expires_at IS NULL OR e.expires_at > :now)
ORDER BY CASE WHEN e.language = :lang THEN 0 ELSE 1 END, bm25(search_fts, 5.0, 1.0)
LIMIT :limit
"""

_POSTGRES = """
WITH q AS (SELECT {tsquery} AS query)
SELECT e.kind, e.ref, e.language, e.title, e.body
FROM search_entry e, q
WHERE e.tsv @@ q.query AND {audience}
  AND (e.publish_at IS NULL OR e.publish_at <= :now)
  AND (e.expires_at IS NULL OR e.expires_at > :now)
ORDER BY CASE WHEN e.language = :lang THEN 0 ELSE 1 END, ts_rank(e.tsv, q.query) DESC
LIMIT :limit
"""


def search(
    session: Session,
    query: str,
    *,
    language: str,
    audiences: tuple[str, ...],
    help_audiences: tuple[str, ...] | None = None,
    now: dt.datetime | None = None,
    limit: int = 30,
) -> list[Hit]:
    """Entries matching every word of `query` that `audiences` may see (published, not
    expired) — help pages and guides those of `help_audiences` (default: `audiences`) — each
    text once, in `language` first, then by relevance. Words are matched as prefixes on SQLite
    and by their stems on PostgreSQL."""
    words = _words(query)
    help_audiences = audiences if help_audiences is None else help_audiences
    if not words or not (audiences or help_audiences):
        return []
    limit = max(1, min(limit, 100))
    params: dict[str, object] = {
        "now": now or now_utc(),
        "lang": language,
        "limit": limit * 3,  # the other languages' versions of a text are left out below
    }
    audience = _audience_clause(params, audiences, help_audiences)
    if session.get_bind().dialect.name == "postgresql":
        joined = " ".join(words)
        params["q"] = joined
        variants = ["q"]
        bare = without_accents(joined)  # entries are indexed without accents too
        if bare != joined:
            params["bare"] = bare
            variants.append("bare")
        tsquery = " || ".join(f"plainto_tsquery('{c}', :{p})" for c in PG_CONFIGS for p in variants)
        sql = _POSTGRES.format(tsquery=tsquery, audience=audience)
    else:
        params["q"] = " ".join(f'"{w}"*' for w in words)
        sql = _SQLITE.format(audience=audience)
    hits = [Hit(*row) for row in session.execute(text(sql), params)]
    return _one_version_each(session, hits, language)[:limit]


def _audience_clause(
    params: dict[str, object], audiences: tuple[str, ...], help_audiences: tuple[str, ...]
) -> str:
    def names(prefix: str, values: tuple[str, ...]) -> str:
        for i, value in enumerate(values):
            params[f"{prefix}{i}"] = value
        return ", ".join(f":{prefix}{i}" for i in range(len(values))) or "NULL"

    kinds = names("k", HELP_KINDS)
    return (
        f"((e.kind NOT IN ({kinds}) AND e.audience IN ({names('a', audiences)})) "
        f"OR (e.kind IN ({kinds}) AND e.audience IN ({names('h', help_audiences)})))"
    )


def _one_version_each(session: Session, hits: list[Hit], language: str) -> list[Hit]:
    """Each text once: of its versions found, the one in `language`, else English, else the
    first; in the order of the hits kept. A guide section or a help page has one reference in
    every language; a news' versions share their first version's id."""
    news_ids = [int(h.ref) for h in hits if h.kind == "news"]
    story: dict[str, int] = {}
    if news_ids:
        rows = session.execute(
            select(NewsItem.id, func.coalesce(NewsItem.version_of, NewsItem.id)).where(
                NewsItem.id.in_(news_ids)
            )
        )
        story = {str(item_id): first for item_id, first in rows}
    best: dict[tuple[str, object], Hit] = {}
    for hit in hits:
        key = (hit.kind, story.get(hit.ref, hit.ref) if hit.kind == "news" else hit.ref)
        kept = best.get(key)
        if kept is None or _preference(hit, language) < _preference(kept, language):
            best[key] = hit
    chosen = {id(h) for h in best.values()}
    return [h for h in hits if id(h) in chosen]


def _preference(hit: Hit, language: str) -> tuple[bool, bool]:
    return (hit.language != language, hit.language != "en")
