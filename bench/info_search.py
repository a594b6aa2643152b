"""The one search over news, help and the directory (F-80 … F-82; docs/information.md):
10,000 entries in three languages, then N searches of one to three words timed through
`portal.domain.info.search.search` — p50, p95, max. Target: p95 < 100 ms.

    python bench/info_search.py                       # SQLite (FTS5) in a temp folder
    python bench/info_search.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test_info

A PostgreSQL database named in --url has its schema dropped and re-created (never point it at
`test` or a database you care about).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WORDS = {
    "en": "customs office border carnet goods holder temporary admission transit export "
    "import guarantee chamber association news update opening hours port airport "
    "declaration voucher receipt claim discharge exhibition equipment samples".split(),
    "fr": "douane bureau frontière carnet marchandises titulaire admission temporaire transit "
    "exportation importation garantie chambre association nouvelles horaires port aéroport "
    "déclaration volet reçu réclamation décharge exposition matériel échantillons".split(),
    "es": "aduana oficina frontera cuaderno mercancías titular admisión temporal tránsito "
    "exportación importación garantía cámara asociación noticias horario puerto aeropuerto "
    "declaración recibo reclamación descargo exposición equipo muestras".split(),
}
KINDS = [("news", "all"), ("help", "customs"), ("office", "customs"), ("nga", "all"),
         ("ia", "all"), ("guide", "holders")]  # fmt: skip


SYLLABLES = (
    "ba be bi bo bu ca ce ci co da de di do fa fe fi ga go la le li lo ma me mi mo "
    "na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi".split()
)


def _filler(rng: random.Random, n: int = 6000) -> list[str]:
    """Made-up words: names of places, people and things that each appear in few entries."""
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 4)))) for _ in range(n)]


FILLER: list[str] = []


def _text(rng: random.Random, language: str, n: int, domain_share: float = 0.15) -> str:
    """n words: about `domain_share` of them from the ATA vocabulary, the rest rarer words."""
    return " ".join(
        rng.choice(WORDS[language]) if rng.random() < domain_share else rng.choice(FILLER)
        for _ in range(n)
    )


def fill(session, n: int, rng: random.Random) -> None:
    from portal.domain.info import search

    for i in range(n):
        language = rng.choice(("en", "en", "fr", "es"))
        kind, audience = KINDS[i % len(KINDS)]
        search.upsert(
            session,
            kind,
            i,
            title=f"{_text(rng, language, 5, 0.4)} {i}",
            body=_text(rng, language, 60),
            language=language,
            audience=audience,
        )
        if i % 1000 == 999:
            session.commit()
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from portal.domain.info import search
    from portal.migrate import upgrade

    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    rng = random.Random(17)
    FILLER.extend(_filler(rng))
    with Session(engine) as session:
        started = time.perf_counter()
        fill(session, args.entries, rng)
        print(f"{args.entries} entries written in {time.perf_counter() - started:.1f} s")
        if url.startswith("postgresql"):  # as autovacuum would have done by then
            session.commit()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE search_entry"))
        times, found = [], []
        for _ in range(args.queries):
            language = rng.choice(("en", "fr", "es"))
            # one to three words: ATA vocabulary (frequent) or rarer words, as people type
            q = _text(rng, language, rng.choice((1, 1, 2, 3)), domain_share=0.6)
            started = time.perf_counter()
            hits = search.search(
                session, q, language=language, audiences=("customs", "all"), limit=30
            )
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(hits))
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{engine.dialect.name}: {len(times)} searches, p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms; hits per search median "
        f"{statistics.median(found):.0f} (limit 30)"
    )


if __name__ == "__main__":
    main()
