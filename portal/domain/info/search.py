"""One search over news, help and the directory (F-80 … F-82): the one domain function
`search`, on SQLite FTS5 (the embedded default) or PostgreSQL full-text search (production),
both built by migration 0015. Entries are written with `upsert` / `remove` by the modules that
own the texts (news, help, directory); the results come in the reader's language first."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.models import SearchEntry

MAX_QUERY = 200
WORD = re.compile(r"\w+", re.UNICODE)
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
WHERE search_fts MATCH :q AND e.audience IN ({audiences})
  AND (e.publish_at IS NULL OR e.publish_at <= :now)
  AND (e.expires_at IS NULL OR e.expires_at > :now)
ORDER BY CASE WHEN e.language = :lang THEN 0 ELSE 1 END, bm25(search_fts, 5.0, 1.0)
LIMIT :limit
"""

_POSTGRES = """
WITH q AS (SELECT {tsquery} AS query)
SELECT e.kind, e.ref, e.language, e.title, e.body
FROM search_entry e, q
WHERE e.tsv @@ q.query AND e.audience IN ({audiences})
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
    now: dt.datetime | None = None,
    limit: int = 30,
) -> list[Hit]:
    """Entries matching every word of `query` that `audiences` may see (published, not
    expired), in `language` first, then by relevance. Words are matched as prefixes on SQLite
    and by their stems on PostgreSQL."""
    words = _words(query)
    if not words or not audiences:
        return []
    params: dict[str, object] = {
        "now": now or now_utc(),
        "lang": language,
        "limit": max(1, min(limit, 100)),
    }
    names = []
    for i, audience in enumerate(audiences):
        params[f"a{i}"] = audience
        names.append(f":a{i}")
    if session.get_bind().dialect.name == "postgresql":
        joined = " ".join(words)
        params["q"] = joined
        variants = ["q"]
        bare = without_accents(joined)  # entries are indexed without accents too
        if bare != joined:
            params["bare"] = bare
            variants.append("bare")
        tsquery = " || ".join(f"plainto_tsquery('{c}', :{p})" for c in PG_CONFIGS for p in variants)
        sql = _POSTGRES.format(tsquery=tsquery, audiences=", ".join(names))
    else:
        params["q"] = " ".join(f'"{w}"*' for w in words)
        sql = _SQLITE.format(audiences=", ".join(names))
    rows = session.execute(text(sql), params)
    return [Hit(*row) for row in rows]
