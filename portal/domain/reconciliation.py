"""Reconciliation of virtual vouchers (F-60, F-61), set-based.

Every committed (not cancelled) transaction line moves a quantity into or out of an
obligation, per carnet, general-list item and customs territory:

    exportation        +q  reimport  (in the territory of exportation: the home territory)
    re-importation     -q  reimport  (cleared and not-re-imported lines alike: both regularise)
    importation        +q  reexport  (in the territory of importation)
    re-exportation     -q  reexport  (cleared and not-re-exported (home use) lines alike)
    transit open       +q  transit
    transit close      -q  transit

After expiry an obligation with a positive balance is an unbalanced line; a territory's status
is "To check" when it has one, "Terminated" otherwise; before expiry it is N/A.

A run works on a *scope* of carnets — all of them (full) or those touched since the last run
(a transaction committed or cancelled since) plus those that expired since — written into
`reconciliation_scope` with INSERT … SELECT. A full run deletes the results and inserts them
anew with INSERT … SELECT … GROUP BY; an incremental run writes only what changed: it deletes
the scope's rows that no longer exist and upserts the others (INSERT … SELECT … ON CONFLICT DO
UPDATE … WHERE the values differ), so a carnet whose statuses and transits stand as they were
costs a read, not a rewrite of its rows, their indexes and their foreign-key checks. Portable
SQLAlchemy Core: SQLite and PostgreSQL run the same statements, with no loop per carnet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from portal.db import now_utc
from portal.models import (
    NGA,
    Cancellation,
    Carnet,
    Country,
    Transaction,
    TransactionItem,
    Voucher,
)
from portal.models.archive import CarnetTerritoryArchive
from portal.models.monitoring import (
    CarnetCountryCount,
    CarnetTerritory,
    Reconciliation,
    ReconciliationLine,
    ReconciliationRun,
    ReconciliationScope,
    ReconciliationStatusCount,
    TransactionYearCount,
    TransitState,
)

STATUS_LABELS = {"na": _l("N/A"), "terminated": _l("Terminated"), "to_check": _l("To check")}
OBLIGATION_LABELS = {
    "reimport": _l("Exported, not re-imported"),
    "reexport": _l("Imported, not re-exported"),
    "transit": _l("Transit opened, not closed"),
}

_OBLIGATION = case(
    (Transaction.kind.in_(("export", "reimport")), literal("reimport")),
    (Transaction.kind.in_(("import", "reexport")), literal("reexport")),
    else_=literal("transit"),
)
_SIGNED = case(
    (Transaction.kind.in_(("export", "import", "transit_open")), TransactionItem.quantity),
    else_=-TransactionItem.quantity,
)
_LOCK_KEY = 6061  # pg_advisory_xact_lock key of the reconciliation
_MOVES = ("export", "reimport", "import", "reexport", "transit_open", "transit_close")
# the statistics' counts of a run stand as of its start less this lag: a commit stamped
# before that instant has long finished when the run counts (a commit takes milliseconds), so
# none is missed by both the run's count and the page's "since" (docs/monitoring.md)
COUNT_LAG = dt.timedelta(minutes=10)


@dataclass
class RunResult:
    run_id: int
    kind: str
    carnets: int
    to_check: int


def counted_until(the_run: ReconciliationRun) -> dt.datetime:
    """The instant the statistics' counts of `the_run` stand at (runs made before migration
    0021 counted the years as of their start)."""
    return the_run.counted_until or the_run.started_at


def last_run(session: Session) -> ReconciliationRun | None:
    return session.scalar(
        select(ReconciliationRun)
        .where(ReconciliationRun.finished_at.is_not(None))
        .order_by(ReconciliationRun.started_at.desc())
        .limit(1)
    )


def run(
    session: Session,
    *,
    full: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    job_id: int | None = None,
    progress=None,
) -> RunResult:
    """Reconcile the scope (everything when `full` or on the first run) and refresh the
    transit states of the same carnets. The caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        # one run at a time (the daily job and a controller's button may overlap); the lock
        # is released with the caller's transaction
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    now = now or now_utc()
    today = today or now.date()
    previous = None if full else last_run(session)
    kind = "full" if previous is None else "incremental"
    the_run = ReconciliationRun(
        kind=kind,
        since=previous.started_at if previous else None,
        started_at=now,
        counted_until=now - COUNT_LAG,
        today=today,
        job_id=job_id,
    )
    session.add(the_run)
    session.flush()
    run_id = the_run.id
    report = progress or (lambda *a, **k: None)
    report(0, 4, "Selecting the carnets to reconcile…", force=True)

    # the statements below read "the scope's carnets"; on a full run that is every carnet:
    # no scope rows, they read the tables whole instead of carnet by carnet (scope None)
    scope = None
    if previous is not None:
        _fill_scope(session, run_id, previous, today)
        scope = select(ReconciliationScope.carnet_id).where(ReconciliationScope.run_id == run_id)
    report(1, 4, "Computing the balances…", force=True)

    if scope is not None:
        _add_status_counts(session, scope, -1)
    # a full run rewrites the tables whole; an incremental run replaces the scope's unbalanced
    # lines (a few: expired carnets only) and upserts its statuses and transits
    for model in (ReconciliationLine,) if scope is not None else _RESULTS:
        _delete_results(session, model, scope)
    _insert_lines(session, scope, today)
    report(2, 4, "Writing the statuses…", force=True)
    _insert_statuses(session, scope, today, now)
    if scope is None:
        session.execute(delete(ReconciliationStatusCount))
    _add_status_counts(session, scope, 1)
    report(3, 4, "Refreshing transit states…", force=True)
    _insert_transits(session, scope, today, now)

    carnets = (
        session.scalar(
            select(func.count())
            .select_from(ReconciliationScope)
            .where(ReconciliationScope.run_id == run_id)
            if scope is not None
            else select(func.count()).select_from(Carnet).where(Carnet.archived_at.is_(None))
        )
        or 0
    )
    to_check = (
        session.scalar(
            select(func.count(func.distinct(Reconciliation.carnet_id))).where(
                *_within(Reconciliation.carnet_id, scope), Reconciliation.status == "to_check"
            )
        )
        or 0
    )
    session.execute(delete(ReconciliationScope).where(ReconciliationScope.run_id == run_id))
    until = now - COUNT_LAG
    since = counted_until(previous) if previous else None
    refresh_year_counts(session, until, since)
    refresh_country_counts(session, until, since)
    the_run.carnets = carnets
    the_run.to_check = to_check
    the_run.finished_at = now_utc()
    session.flush()
    if previous is None and session.get_bind().dialect.name == "postgresql":
        # a full run rewrote these tables whole: the planner's statistics at once (the Logs'
        # status filters otherwise plan with the old ones until autovacuum comes by)
        for table in ("reconciliation", "reconciliation_line", "transit_state"):
            session.execute(text(f"ANALYZE {table}"))
    report(4, 4, "Done.", force=True)
    return RunResult(run_id, kind, carnets, to_check)


_RESULTS = (ReconciliationLine, Reconciliation, TransitState)


def _write(session: Session, model, columns: list[str], rows, keys: tuple[str, ...], scope):
    """INSERT … SELECT `rows` into `model`; on an incremental run (a `scope`) an upsert on
    the primary key `keys` that updates a row only when one of its values other than
    `computed_at` differs (the row's computed_at is then when its values last changed)."""
    if scope is None:
        session.execute(insert(model).from_select(columns, rows))
        return
    session.expire_all()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # SQLite reads "INSERT … SELECT … ON CONFLICT" well only with a WHERE in the SELECT
    stmt = dialect.insert(model).from_select(columns, rows.where(true()))
    table = model.__table__
    values = [c for c in columns if c not in keys]
    compared = [c for c in values if c != "computed_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in values},
        where=or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in compared)),
    )
    session.execute(stmt)


def _within(column, scope) -> list:
    """The condition "`column` is a carnet of the scope". The scope None is every carnet not
    archived: archived carnets' results are final (portal/domain/archive.py), so a full run
    neither deletes nor recomputes them (an anti-join on the carnets archived)."""
    if scope is not None:
        return [column.in_(scope)]
    archived = aliased(Carnet)
    return [~exists().where(archived.id == column, archived.archived_at.is_not(None))]


def _delete_results(session: Session, model, scope) -> None:
    """Delete the scope's rows of a result table (every row on a full run: the scope is every
    carnet), without the ORM fetching them back to synchronise the session (millions on a
    full run); the session's objects are expired instead."""
    stmt = delete(model).where(*_within(model.carnet_id, scope))
    session.execute(stmt, execution_options={"synchronize_session": False})
    session.expire_all()


def _fill_scope(session: Session, run_id: int, previous: ReconciliationRun, today: dt.date) -> None:
    """An incremental run's carnets: those with a transaction committed or cancelled since
    the previous run, those that expired since, and those with a transit still in progress."""
    since = previous.started_at
    touched = select(Transaction.carnet_id).where(Transaction.committed_at >= since)
    cancelled = (
        select(Transaction.carnet_id)
        .join(Cancellation, Cancellation.transaction_id == Transaction.id)
        .where(Cancellation.at >= since)
    )
    # expired since the previous run: valid on its day, no longer valid today
    expired = select(Carnet.id).where(
        Carnet.valid_until >= previous.today,
        Carnet.valid_until < today,
        Carnet.archived_at.is_(None),
    )
    open_transits = select(TransitState.carnet_id).where(TransitState.state == "in_progress")
    sub = union(touched, cancelled, expired, open_transits).subquery()
    session.execute(
        insert(ReconciliationScope).from_select(
            ["run_id", "carnet_id"], select(literal(run_id), sub.c[0]).distinct()
        )
    )


def _insert_lines(session: Session, scope, today: dt.date) -> None:
    moves = (
        select(
            Transaction.carnet_id.label("carnet_id"),
            Transaction.territory_id.label("territory_id"),
            TransactionItem.goods_item_id.label("goods_item_id"),
            TransactionItem.item_no.label("item_no"),
            _OBLIGATION.label("obligation"),
            _SIGNED.label("qty"),
        )
        .join(TransactionItem, TransactionItem.transaction_id == Transaction.id)
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .where(
            *_within(Transaction.carnet_id, scope),
            Transaction.state == "committed",
            Transaction.kind.in_(_MOVES),
            Carnet.valid_until < today,
        )
    ).subquery()
    balance = func.sum(moves.c.qty)
    rows = (
        select(
            moves.c.carnet_id,
            moves.c.territory_id,
            moves.c.goods_item_id,
            func.min(moves.c.item_no),
            moves.c.obligation,
            func.sum(case((moves.c.qty > 0, moves.c.qty), else_=0)),
            func.sum(case((moves.c.qty < 0, -moves.c.qty), else_=0)),
            balance,
        )
        .group_by(
            moves.c.carnet_id, moves.c.territory_id, moves.c.goods_item_id, moves.c.obligation
        )
        .having(balance > 0)
    )
    session.execute(
        insert(ReconciliationLine).from_select(
            [
                "carnet_id",
                "territory_id",
                "goods_item_id",
                "item_no",
                "obligation",
                "expected",
                "accounted",
                "missing",
            ],
            rows,
        )
    )


def _insert_statuses(session: Session, scope, today: dt.date, now: dt.datetime) -> None:
    """One row per carnet of the scope and territory it was transacted in, plus its home
    territory (where it must come back)."""
    transacted = select(
        Transaction.carnet_id.label("carnet_id"), Transaction.territory_id.label("territory_id")
    ).where(*_within(Transaction.carnet_id, scope), Transaction.state == "committed")
    home = (
        select(Carnet.id.label("carnet_id"), Country.territory_id.label("territory_id"))
        .join(Country, Country.code == Carnet.departure_country)
        .where(
            *_within(Carnet.id, scope),
            Country.territory_id.is_not(None),
            exists().where(Transaction.carnet_id == Carnet.id),
        )
    )
    pairs = union(transacted, home).subquery()
    if scope is not None:
        # the scope's statuses of a territory no longer transacted (a cancellation)
        stmt = delete(Reconciliation).where(
            Reconciliation.carnet_id.in_(scope),
            ~exists().where(
                pairs.c.carnet_id == Reconciliation.carnet_id,
                pairs.c.territory_id == Reconciliation.territory_id,
            ),
        )
        session.execute(stmt, execution_options={"synchronize_session": False})
    # the scope's unbalanced lines per (carnet, territory), joined once — not a correlated
    # count per pair (a full run writes millions of pairs)
    lines = (
        select(
            ReconciliationLine.carnet_id.label("carnet_id"),
            ReconciliationLine.territory_id.label("territory_id"),
            func.count().label("n"),
        )
        .where(*_within(ReconciliationLine.carnet_id, scope))
        .group_by(ReconciliationLine.carnet_id, ReconciliationLine.territory_id)
        .subquery()
    )
    unbalanced = func.coalesce(lines.c.n, 0)
    rows = (
        select(
            pairs.c.carnet_id,
            pairs.c.territory_id,
            case(
                (Carnet.valid_until >= today, literal("na")),
                (unbalanced > 0, literal("to_check")),
                else_=literal("terminated"),
            ),
            unbalanced,
            literal(now),
        )
        .join(Carnet, Carnet.id == pairs.c.carnet_id)
        .outerjoin(
            lines,
            and_(
                lines.c.carnet_id == pairs.c.carnet_id,
                lines.c.territory_id == pairs.c.territory_id,
            ),
        )
    )
    _write(
        session,
        Reconciliation,
        ["carnet_id", "territory_id", "status", "unbalanced", "computed_at"],
        rows,
        ("carnet_id", "territory_id"),
        scope,
    )


# --- transits (F-62) ---------------------------------------------------------------------


def transit_rows(
    today: dt.date,
    *,
    territory_id: int | None = None,
    carnets=None,
    open_ids=None,
    grouped: bool = False,
):
    """A SELECT of (open id, carnet id, territory id, close id, due date, state) for every
    committed transit open: closed when a committed transit close of the same travel exists,
    expired when its due date (the final date for production) has passed without a close
    (or the close came late), in progress otherwise. `grouped` (the run: its scope's
    `carnets`, or every carnet) groups the closes once per travel and joins them; otherwise
    each open looks its close up by index (a page reads a few)."""
    opened = aliased(Transaction)
    closed = aliased(Transaction)
    v_open = aliased(Voucher)
    v_close = aliased(Voucher)
    closes = None
    close_id: ColumnElement[Any]
    close_at: ColumnElement[Any]
    if grouped:
        closes = (
            select(
                closed.carnet_id.label("carnet_id"),
                v_close.travel_id.label("travel_id"),
                func.min(closed.id).label("close_id"),
                func.min(closed.committed_at).label("close_at"),
            )
            .join(v_close, v_close.id == closed.voucher_id)
            .where(
                *_within(closed.carnet_id, carnets),
                closed.kind == "transit_close",
                closed.state == "committed",
            )
            .group_by(closed.carnet_id, v_close.travel_id)
            .subquery()
        )
        close_id, close_at = closes.c.close_id, closes.c.close_at
    else:
        close_id = (
            select(func.min(closed.id))
            .join(v_close, v_close.id == closed.voucher_id)
            .where(
                closed.carnet_id == opened.carnet_id,
                closed.kind == "transit_close",
                closed.state == "committed",
                v_close.travel_id == v_open.travel_id,
            )
            .scalar_subquery()
        )
        close_at = (
            select(func.min(closed.committed_at))
            .join(v_close, v_close.id == closed.voucher_id)
            .where(
                closed.carnet_id == opened.carnet_id,
                closed.kind == "transit_close",
                closed.state == "committed",
                v_close.travel_id == v_open.travel_id,
            )
            .scalar_subquery()
        )
    state = case(
        (
            and_(
                close_id.is_not(None),
                or_(opened.final_date.is_(None), func.date(close_at) <= opened.final_date),
            ),
            literal("closed"),
        ),
        (and_(opened.final_date.is_not(None), opened.final_date < today), literal("expired")),
        (close_id.is_not(None), literal("expired")),
        else_=literal("in_progress"),
    )
    q = (
        select(
            opened.id.label("open_id"),
            opened.carnet_id.label("carnet_id"),
            opened.territory_id.label("territory_id"),
            close_id.label("close_id"),
            opened.final_date.label("due_date"),
            state.label("state"),
        )
        .join(v_open, v_open.id == opened.voucher_id)
        .where(opened.kind == "transit_open", opened.state == "committed")
    )
    if closes is not None:
        q = q.outerjoin(
            closes,
            and_(closes.c.carnet_id == opened.carnet_id, closes.c.travel_id == v_open.travel_id),
        )
    if territory_id is not None:
        q = q.where(opened.territory_id == territory_id)
    if carnets is not None:
        q = q.where(opened.carnet_id.in_(carnets))
    if open_ids is not None:
        q = q.where(opened.id.in_(open_ids))
    return q


def _insert_transits(session: Session, scope, today: dt.date, now: dt.datetime) -> None:
    if scope is not None:
        # the scope's transit states whose opening is no longer committed (cancelled)
        opened = aliased(Transaction)
        stmt = delete(TransitState).where(
            TransitState.carnet_id.in_(scope),
            ~exists().where(
                opened.id == TransitState.open_transaction_id,
                opened.kind == "transit_open",
                opened.state == "committed",
            ),
        )
        session.execute(stmt, execution_options={"synchronize_session": False})
    rows = transit_rows(today, carnets=scope, grouped=True).subquery()
    _write(
        session,
        TransitState,
        [
            "open_transaction_id",
            "carnet_id",
            "territory_id",
            "close_transaction_id",
            "due_date",
            "state",
            "computed_at",
        ],
        select(
            rows.c.open_id,
            rows.c.carnet_id,
            rows.c.territory_id,
            rows.c.close_id,
            rows.c.due_date,
            rows.c.state,
            literal(now),
        ),
        ("open_transaction_id",),
        scope,
    )


# --- statistics (F-66): transactions by year as of the run ---------------------------------


def year_of(column):
    return func.extract("year", column)


def _merge_counts(session: Session, model, keys: tuple[str, ...], value: str, rows) -> None:
    """Add each row's (keys…, n) to `model`'s counter of those keys (created when missing).
    The rows are a handful (territories × years or countries or statuses), never per carnet."""
    column = getattr(model, value)
    for *key, n in rows:
        if not n:
            continue
        where = [getattr(model, k) == v for k, v in zip(keys, key, strict=True)]
        done = session.execute(update(model).where(*where).values({value: column + n}))
        if not done.rowcount:  # type: ignore[attr-defined]
            session.execute(insert(model).values({**dict(zip(keys, key, strict=True)), value: n}))


def _add_status_counts(session: Session, scope, sign: int) -> None:
    """The statistics' potential claims: add (sign 1) or take away (sign -1) the
    `reconciliation` rows of the scope's carnets (every row when `scope` is None) from
    `reconciliation_status_count` — before the run deletes a scope's rows and after it
    inserts them, so the counts follow the table without counting it whole."""
    q = select(Reconciliation.territory_id, Reconciliation.status, sign * func.count())
    if scope is not None:
        q = q.where(Reconciliation.carnet_id.in_(scope))
    rows = session.execute(q.group_by(Reconciliation.territory_id, Reconciliation.status)).all()
    _merge_counts(session, ReconciliationStatusCount, ("territory_id", "status"), "carnets", rows)


def _committed_as_of(at: dt.datetime):
    """Transactions committed before `at` and still committed at `at` (not cancelled, or
    cancelled since): what a count as of `at` counts."""
    return and_(
        Transaction.committed_at < at,
        or_(Transaction.state == "committed", Cancellation.at >= at),
    )


def refresh_year_counts(session: Session, at: dt.datetime, since: dt.datetime | None) -> None:
    """The reconciliation run's part (set-based): `transaction_year_count` as of `at` — every
    (territory, year) counted when `since` is None; else the counts as of `since` (the
    previous run's) moved to `at` by what happened in between, read by index: the
    transactions committed in [since, at) and not cancelled by `at`, less those committed
    before `since` and cancelled in [since, at)."""
    year = year_of(Transaction.committed_at)
    columns = ["territory_id", "year", "committed"]
    if since is None:
        counted = (
            select(Transaction.territory_id, year, func.count())
            .outerjoin(Cancellation, Cancellation.transaction_id == Transaction.id)
            .where(_committed_as_of(at))
            .group_by(Transaction.territory_id, year)
        )
        session.execute(delete(TransactionYearCount))
        session.execute(insert(TransactionYearCount).from_select(columns, counted))
        return
    added = session.execute(
        select(Transaction.territory_id, year, func.count())
        .outerjoin(Cancellation, Cancellation.transaction_id == Transaction.id)
        .where(Transaction.committed_at >= since, _committed_as_of(at))
        .group_by(Transaction.territory_id, year)
    ).all()
    removed = session.execute(
        select(Transaction.territory_id, year, -func.count())
        .join(Cancellation, Cancellation.transaction_id == Transaction.id)
        .where(Cancellation.at >= since, Cancellation.at < at, Transaction.committed_at < since)
        .group_by(Transaction.territory_id, year)
    ).all()
    rows = [(t, int(y), n) for t, y, n in [*added, *removed]]
    _merge_counts(session, TransactionYearCount, ("territory_id", "year"), "committed", rows)


def entered_by_country(territory_id=None, ct=CarnetTerritory):
    """SELECT (territory, NGA country, carnets) of the read model's rows (`ct`: the live
    table, or the archive's of the same shape): the carnets that entered a territory, by
    issuing country (the caller adds its WHERE and GROUP BY)."""
    q = (
        select(ct.territory_id, NGA.country_code, func.count())
        .join(Carnet, Carnet.id == ct.carnet_id)
        .join(NGA, NGA.id == Carnet.nga_id)
    )
    if territory_id is not None:
        q = q.where(ct.territory_id == territory_id)
    return q.group_by(ct.territory_id, NGA.country_code)


def refresh_country_counts(session: Session, at: dt.datetime, since: dt.datetime | None) -> None:
    """The reconciliation run's part: `carnet_country_count` as of `at` — the carnets that
    entered each territory before `at`, by issuing country; counted whole when `since` is
    None, else moved from `since` by the carnets that entered in [since, at) (the
    entered_at index). A carnet's row keeps its entered_at once written."""
    ct = CarnetTerritory
    if since is None:
        session.execute(delete(CarnetCountryCount))
        session.execute(
            insert(CarnetCountryCount).from_select(
                ["territory_id", "country_code", "carnets"],
                entered_by_country().where(ct.entered_at < at),
            )
        )
        # archived carnets entered too (their facts moved to the archive's table)
        cta = cast(type[CarnetTerritory], CarnetTerritoryArchive)  # the same columns
        rows = session.execute(entered_by_country(ct=cta).where(cta.entered_at < at)).all()
        _merge_counts(
            session, CarnetCountryCount, ("territory_id", "country_code"), "carnets", rows
        )
        return
    rows = session.execute(
        entered_by_country().where(ct.entered_at >= since, ct.entered_at < at)
    ).all()
    _merge_counts(session, CarnetCountryCount, ("territory_id", "country_code"), "carnets", rows)


# --- reading ------------------------------------------------------------------------------


def status_for(
    session: Session, carnet: Carnet, territory_id: int, today: dt.date | None = None
) -> str:
    """The status `territory_id` sees: N/A while valid, else the last run's result."""
    today = today or now_utc().date()
    if carnet.valid_until >= today:
        return "na"
    row = session.get(Reconciliation, (carnet.id, territory_id))
    return row.status if row else "na"


def lines_for(
    session: Session, carnet_id: int, territory_id: int | None = None
) -> list[ReconciliationLine]:
    q = select(ReconciliationLine).where(ReconciliationLine.carnet_id == carnet_id)
    if territory_id is not None:
        q = q.where(ReconciliationLine.territory_id == territory_id)
    return list(
        session.scalars(
            q.order_by(
                ReconciliationLine.territory_id,
                ReconciliationLine.obligation,
                ReconciliationLine.item_no,
            )
        )
    )


def overall_status(session: Session, carnet: Carnet, today: dt.date | None = None) -> str:
    """Across territories (the NGA's view): To check when any territory has a line."""
    today = today or now_utc().date()
    if carnet.valid_until >= today:
        return "na"
    statuses = set(
        session.scalars(select(Reconciliation.status).where(Reconciliation.carnet_id == carnet.id))
    )
    if "to_check" in statuses:
        return "to_check"
    return "terminated" if statuses else "na"


def item_ranges(numbers) -> str:
    """[1,2,3,5] → "1-3, 5" (the guide's "Cleared goods")."""
    nos = sorted(set(numbers))
    if not nos:
        return ""
    out, start, prev = [], nos[0], nos[0]
    for n in nos[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
