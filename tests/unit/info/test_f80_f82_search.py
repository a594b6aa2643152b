"""F-80 … F-82 Search: one domain function over news, help and the directory, on the
database the suite runs on (SQLite FTS5 by default, PostgreSQL full-text search with
DATABASE_URL): audiences, dates, the reader's language first, stems/prefixes, no injection."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import now_utc
from portal.domain.info import help as help_domain
from portal.domain.info import search


@pytest.fixture
def entries(session):
    now = now_utc()
    search.upsert(session, "news", 1, title="Customs offices reopened", body="The border "
                  "offices reopen on Monday.", language="en", audience="customs")  # fmt: skip
    search.upsert(session, "news", 2, title="Réouverture des bureaux de douane", body="Les "
                  "bureaux de douane rouvrent lundi.", language="fr", audience="customs")  # fmt: skip
    search.upsert(session, "news", 3, title="Holders: offices reopened", body="", language="en",
                  audience="holders")  # fmt: skip
    search.upsert(session, "news", 4, title="Future offices", body="", language="en",
                  audience="all", publish_at=now + dt.timedelta(days=1))  # fmt: skip
    search.upsert(session, "news", 5, title="Expired offices", body="", language="en",
                  audience="all", expires_at=now - dt.timedelta(days=1))  # fmt: skip
    search.upsert(session, "office", 9, title="Genève Cornavin", body="Place de Cornavin 7 "
                  "1201 Genève", language="en", audience="customs")  # fmt: skip
    session.commit()


def _refs(hits):
    return [(h.kind, h.ref) for h in hits]


def test_f82_search_respects_audiences_and_dates(session, entries):
    hits = search.search(session, "offices", language="en", audiences=("customs", "all"))
    assert ("news", "1") in _refs(hits)
    assert ("news", "3") not in _refs(hits)  # holders only
    assert ("news", "4") not in _refs(hits) and ("news", "5") not in _refs(hits)
    holders = search.search(session, "offices", language="en", audiences=("holders", "all"))
    assert _refs(holders) == [("news", "3")]


def test_f82_search_reader_language_first(session, entries):
    fr = search.search(session, "douane", language="fr", audiences=("customs",))
    assert _refs(fr)[0] == ("news", "2")
    both = search.search(session, "bureaux offices", language="fr", audiences=("customs",))
    assert both == [] or all(h.language in ("en", "fr") for h in both)
    # a query matching both languages: the reader's language comes first, either way round
    search.upsert(session, "news", 6, title="ATA carnet", body="", language="en")
    search.upsert(session, "news", 7, title="ATA carnet", body="", language="fr")
    session.commit()
    assert _refs(search.search(session, "carnet", language="fr", audiences=("all",)))[0] == (
        "news",
        "7",
    )
    assert _refs(search.search(session, "carnet", language="en", audiences=("all",)))[0] == (
        "news",
        "6",
    )


def test_f82_search_finds_words_by_stem_or_prefix_and_accents(session, entries):
    assert ("news", "1") in _refs(
        search.search(session, "office", language="en", audiences=("customs",))
    )
    assert _refs(search.search(session, "geneve", language="en", audiences=("customs",))) == [
        ("office", "9")
    ]


def test_f82_search_query_syntax_is_plain_words(session, entries):
    for query in ['"', "offices OR 1=1", "NEAR(a b)", "*", "') ; drop table search_entry; --",
                  "a:b", "&|!", "x" * 5000]:  # fmt: skip
        search.search(session, query, language="en", audiences=("customs",))  # never an error
    assert search.search(session, "", language="en", audiences=("customs",)) == []
    assert search.search(session, "offices", language="en", audiences=()) == []
    assert len(search.search(session, "offices", language="en", audiences=("customs",))) >= 1


def test_f82_search_entries_follow_changes(session, entries):
    search.upsert(session, "news", 1, title="Renamed item", body="", language="en",
                  audience="customs")  # fmt: skip
    session.commit()
    assert search.search(session, "reopened", language="en", audiences=("customs",)) == []
    search.remove(session, "news", 1)
    session.commit()
    assert search.search(session, "renamed", language="en", audiences=("customs",)) == []


def test_f82_guides_are_searchable(session):
    assert help_domain.index_guides(session) > 10
    session.commit()
    hits = search.search(session, "INCIDENT", language="en", audiences=("customs", "all"))
    assert ("guide", "support#how-to-report") in _refs(hits)
    wallet = search.search(session, "voucher", language="en", audiences=("holders", "all"))
    assert all(h.ref.startswith(("wallet", "support")) for h in wallet) and wallet
