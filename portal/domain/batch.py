"""Rows written together at the end of a hot path (the transaction engine's commit).

On PostgreSQL the queued INSERTs and UPDATEs go to the server in one psycopg pipeline: one
network round trip for all of them instead of one each, and no SQLAlchemy statement
compilation per call (the SQL of each (table, columns) shape is built once per process). Ids
that later rows refer to are taken from the table's sequence beforehand (`next_ids`), so no
statement waits for another's RETURNING.

Elsewhere (SQLite, the embedded default) every write runs at once through SQLAlchemy Core,
and `insert_returning` gives the new ids.

Either way the writes belong to the session's open transaction: the caller commits or rolls
back all of them. A constraint violation surfaces as sqlalchemy.exc.IntegrityError, as it
would through the ORM.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import JSON, Table, func, insert, null, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_SQL: dict[tuple, str] = {}
_SEQUENCES: dict[str, str] = {}


def _sequence(table: Table) -> str:
    # the SERIAL sequence of the table's integer primary key (created by the migrations)
    return _SEQUENCES.setdefault(table.name, f"{table.name}_id_seq")


def table_of(model: Any) -> Table:
    """A mapped class's Table, typed as one (`Model.__table__` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def nextval(table: Table):
    """`nextval(<the table's id sequence>)`, for folding id allocation into a SELECT."""
    return func.nextval(_sequence(table))


class _Context:
    """What a column default function may read of SQLAlchemy's execution context: the
    parameters of the row being written."""

    def __init__(self, row: dict):
        self.current_parameters = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict:
        return self.current_parameters


def _value(default, row: dict):
    return default.arg if default.is_scalar else default.arg(_Context(row))


_SHAPES: dict[str, tuple[list, list, frozenset, frozenset]] = {}


def _shape(table: Table) -> tuple[list, list, frozenset, frozenset]:
    """(columns with a Python-side default, columns with a Python-side onupdate, keys of the
    JSON columns, all column keys) of a table."""
    shape = _SHAPES.get(table.name)
    if shape is None:
        odd = [
            c.key
            for c in table.columns
            for d in (c.default, c.onupdate)
            if d is not None and not (d.is_scalar or d.is_callable)
        ]
        if odd:
            raise TypeError(f"{table.name}: defaults the batch cannot apply: {odd}")
        shape = _SHAPES[table.name] = (
            [c for c in table.columns if c.default is not None],
            [c for c in table.columns if c.onupdate is not None],
            frozenset(c.key for c in table.columns if isinstance(c.type, JSON)),
            frozenset(table.c.keys()),
        )
    return shape


def _check_keys(table: Table, keys) -> None:
    # the SQL is built from these names: only the table's own columns
    unknown = set(keys) - _shape(table)[3]
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)}")


def _pg_row(table: Table, row: dict, *, update: bool = False) -> dict:
    """The row with the Python-side defaults (onupdates for an UPDATE) SQLAlchemy would have
    applied, and its JSON values wrapped for psycopg."""
    from psycopg.types.json import Json

    defaults, onupdates, json_keys, _ = _shape(table)
    out = dict(row)
    for col in onupdates if update else defaults:
        if col.key not in out:
            out[col.key] = _value(col.onupdate if update else col.default, out)
    for key in json_keys:
        if out.get(key) is not None:
            out[key] = Json(out[key])
    return out


def _sqlite_row(table: Table, row: dict) -> dict:
    # None in a JSON column is SQL NULL, as on PostgreSQL (not the JSON value null)
    json_keys = _shape(table)[2]
    return {k: (null() if v is None and k in json_keys else v) for k, v in row.items()}


def _insert_sql(table: Table, keys: tuple[str, ...]) -> str:
    sql = _SQL.get(("i", table.name, keys))
    if sql is None:
        cols = ", ".join(f'"{k}"' for k in keys)
        vals = ", ".join(f"%({k})s" for k in keys)
        sql = _SQL[("i", table.name, keys)] = f'INSERT INTO "{table.name}" ({cols}) VALUES ({vals})'
    return sql


def _update_sql(table: Table, keys: tuple[str, ...]) -> str:
    sql = _SQL.get(("u", table.name, keys))
    if sql is None:
        sets = ", ".join(f'"{k}" = %({k})s' for k in keys)
        sql = _SQL[("u", table.name, keys)] = (
            f'UPDATE "{table.name}" SET {sets} WHERE id = %(__id)s'
        )
    return sql


class Batch:
    """Queue writes, then `run()` them (PostgreSQL) — or write at once (elsewhere)."""

    def __init__(self, session: Session):
        self.session = session
        self.conn = session.connection()
        dialect = self.conn.dialect
        # the pipeline needs psycopg 3 (postgresql+psycopg://); other drivers write at once
        self.pg = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self._ops: list[tuple[str, list[dict]]] = []

    def next_ids(self, table: Table, n: int) -> list[int]:
        """PostgreSQL only: n new ids of `table` (one round trip)."""
        assert self.pg
        if n <= 0:
            return []
        return list(
            self.conn.execute(
                select(nextval(table)).select_from(func.generate_series(1, n))
            ).scalars()
        )

    def insert(self, table: Table, rows: list[dict]) -> None:
        """Insert rows (all with the same keys; with their id when they have one)."""
        if not rows:
            return
        _check_keys(table, rows[0])
        if not self.pg:
            self.conn.execute(insert(table).values([_sqlite_row(table, r) for r in rows]))
            return
        full = [_pg_row(table, r) for r in rows]
        self._ops.append((_insert_sql(table, tuple(full[0])), full))

    def insert_returning(self, table: Table, row: dict) -> int:
        """Elsewhere than PostgreSQL: insert one row at once and return its id."""
        assert not self.pg
        _check_keys(table, row)
        return self.conn.execute(
            insert(table).values(_sqlite_row(table, row)).returning(table.c.id)
        ).scalar_one()

    def update(self, table: Table, row_id: int, values: dict[str, Any]) -> None:
        """Update one row by id (its onupdate columns too, as SQLAlchemy would)."""
        _check_keys(table, values)
        if not self.pg:
            self.conn.execute(
                update(table).where(table.c.id == row_id).values(_sqlite_row(table, values))
            )
            return
        row = _pg_row(table, values, update=True)
        self._ops.append((_update_sql(table, tuple(row)), [{**row, "__id": row_id}]))

    def statement(self, table: Table, sql: str, row: dict) -> None:
        """PostgreSQL only: one fixed SQL statement of the caller's (psycopg %(name)s
        parameters; `table`'s Python-side defaults and JSON wrapping applied to `row`)."""
        assert self.pg
        self._ops.append((sql, [_pg_row(table, row)]))

    def run(self) -> None:
        """Send what is queued (PostgreSQL): one pipeline, one synchronisation."""
        ops, self._ops = self._ops, []
        if not ops:
            return
        import psycopg

        raw = self.conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.pipeline(), raw.cursor() as cur:
                for sql, rows in ops:
                    if len(rows) == 1:
                        cur.execute(sql, rows[0])
                    else:
                        cur.executemany(sql, rows)
        except psycopg.Error as exc:
            # errors come back at the synchronisation: name the whole batch. A lost
            # connection is invalidated, as SQLAlchemy does, so that the caller's rollback
            # succeeds and the pool replaces it.
            dead = raw.closed or raw.broken
            if dead:
                self.conn.invalidate(exc)
            raise DBAPIError.instance(
                "; ".join(sql for sql, _ in ops),
                None,
                exc,
                psycopg.Error,
                connection_invalidated=dead,
                dialect=self.conn.dialect,
            ) from exc
