"""The R-04 read model (docs/monitoring.md "The history read model").

R-04: of a carnet that entered a customs territory, the territory sees the transactions made
before the carnet first entered it, its own, and the final re-importation. Both facts are
kept per (carnet, territory) in `carnet_territory` so that no screen aggregates the
transactions table:

- `entered_at`: the first transaction of the carnet in the territory (cancelled ones
  included: the carnet did enter);
- `final_reimport_id`: the carnet's last committed re-importation (NULL when none), the same
  on each of the carnet's rows.

One statement pair computes them for a set of carnets (`_delete` + `_insert`): the engine runs
it for the carnet of every commit and cancellation in the same database transaction (on
PostgreSQL inside the commit's pipeline, so no extra round trip), and `rebuild` runs it for
all carnets (`flask monitoring rebuild-history`, the migration that created the table, the
bench generator). A carnet's facts depend on its own transactions only, which the engine
writes under the carnet's row lock: the per-carnet refresh cannot race another.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from portal.domain import batch
from portal.models import Transaction
from portal.models.monitoring import CarnetTerritory

TABLE = batch.table_of(CarnetTerritory)


def _scope(column, scope: str | None) -> ColumnElement[bool] | None:
    """The carnets a statement covers: every one (None), one ("one": :carnet_id) or a range of
    ids ("range": :lo … :hi)."""
    if scope == "one":
        return column == bindparam("carnet_id")
    if scope == "range":
        return and_(column >= bindparam("lo"), column <= bindparam("hi"))
    return None


def _insert(scope: str | None) -> Insert:
    """INSERT … SELECT of the facts of the carnets of `scope`: two aggregates by carnet (and
    territory) over the carnets' transactions."""
    fin = aliased(Transaction)
    entered = select(
        Transaction.carnet_id.label("carnet_id"),
        Transaction.territory_id.label("territory_id"),
        func.min(Transaction.committed_at).label("entered_at"),
    )
    final = select(fin.carnet_id.label("carnet_id"), func.max(fin.id).label("final_id")).where(
        fin.kind == "reimport", fin.state == "committed"
    )
    cond_e = _scope(Transaction.carnet_id, scope)
    cond_f = _scope(fin.carnet_id, scope)
    if cond_e is not None and cond_f is not None:
        entered = entered.where(cond_e)
        final = final.where(cond_f)
    e = entered.group_by(Transaction.carnet_id, Transaction.territory_id).subquery()
    f = final.group_by(fin.carnet_id).subquery()
    rows = select(e.c.carnet_id, e.c.territory_id, e.c.entered_at, f.c.final_id).outerjoin(
        f, f.c.carnet_id == e.c.carnet_id
    )
    return insert(TABLE).from_select(
        ["carnet_id", "territory_id", "entered_at", "final_reimport_id"], rows
    )


def _delete(scope: str | None) -> Delete:
    stmt = delete(TABLE)
    cond = _scope(TABLE.c.carnet_id, scope)
    return stmt if cond is None else stmt.where(cond)


_PG_SQL: tuple[tuple[str, dict], ...] = ()


def _pg_statements() -> tuple[tuple[str, dict], ...]:
    """The per-carnet pair compiled once for the commit's psycopg pipeline: (SQL with
    %(name)s parameters, the constant parameters). Built whole, then published in one
    assignment: threads of a worker that compile it at the same time each publish the same
    pair (appending to a shared list let two threads interleave delete, delete, insert,
    insert, and every commit of that process then failed on the duplicate insert)."""
    global _PG_SQL
    if not _PG_SQL:
        dialect = postgresql.psycopg.dialect()
        built = []
        for stmt in (_delete("one"), _insert("one")):
            compiled = stmt.compile(dialect=dialect)
            built.append((str(compiled), dict(compiled.params)))
        _PG_SQL = tuple(built)
    return _PG_SQL


def queue_refresh(writes: batch.Batch, carnet_id: int) -> None:
    """The engine's commit: refresh the carnet's facts with the commit's other writes (after
    its transactions were queued)."""
    if writes.pg:
        for sql, params in _pg_statements():
            writes.statement(TABLE, sql, {**params, "carnet_id": carnet_id})
    else:
        refresh(writes.session, carnet_id)


def refresh(session: Session, carnet_id: int) -> None:
    """Recompute one carnet's facts from its transactions (by index), in the caller's
    transaction: the engine's cancellation, and the commit elsewhere than PostgreSQL."""
    session.flush()
    session.execute(_delete("one"), {"carnet_id": carnet_id})
    session.execute(_insert("one"), {"carnet_id": carnet_id})


def rebuild(session: Session, carnet_ids: tuple[int, int] | None = None) -> int:
    """Recompute the facts of every carnet (or of the carnet ids from … to, inclusive) in one
    set-based statement pair; returns the number of rows written. The caller commits."""
    scope, params = None, {}
    if carnet_ids is not None:
        scope, params = "range", {"lo": carnet_ids[0], "hi": carnet_ids[1]}
    session.execute(_delete(scope), params)
    session.execute(_insert(scope), params)
    count = select(func.count()).select_from(TABLE)
    cond = _scope(TABLE.c.carnet_id, scope)
    return session.scalar(count if cond is None else count.where(cond), params) or 0


def visible(territory_id: int, txn=Transaction, facts=CarnetTerritory):
    """A WHERE clause on `txn` (Transaction or an alias): the transactions `territory_id`
    sees (R-04), read from the read model by its primary key (`facts`: the archive's for
    archived transactions, portal/domain/archive.py)."""
    ct = aliased(facts)
    return (
        select(ct.carnet_id)
        .where(
            ct.carnet_id == txn.carnet_id,
            ct.territory_id == territory_id,
            or_(
                txn.territory_id == territory_id,
                txn.committed_at < ct.entered_at,
                txn.id == ct.final_reimport_id,
            ),
        )
        .exists()
    )
