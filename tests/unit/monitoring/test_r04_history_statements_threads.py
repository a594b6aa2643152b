"""R-04 read model: the commit's pipeline statements for `carnet_territory` (delete, then
insert) are compiled once per process, and threads of a gunicorn worker that compile them at
the same time must each get — and leave behind — exactly that pair. Found by the soak and the
worker-kill reliability test: a shared list appended by two threads held delete, delete,
insert, insert, so every later commit of that worker failed on a duplicate key (409)."""

from __future__ import annotations

import threading

from sqlalchemy.dialects import postgresql

from portal.domain import history

THREADS = 4


def test_r04_pipeline_statements_compiled_by_threads_at_once_stay_one_pair(monkeypatch):
    monkeypatch.setattr(history, "_PG_SQL", ())
    real_dialect = postgresql.psycopg.dialect
    together = threading.Barrier(THREADS)

    def dialect_once_all_threads_are_compiling():
        together.wait(timeout=10)  # every thread is inside the build before any finishes
        return real_dialect()

    monkeypatch.setattr(postgresql.psycopg, "dialect", dialect_once_all_threads_are_compiling)
    got: list = []

    def compile_statements():
        got.append(history._pg_statements())

    threads = [threading.Thread(target=compile_statements) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    for statements in [*got, history._pg_statements()]:
        assert [sql.split()[0] for sql, _ in statements] == ["DELETE", "INSERT"]
