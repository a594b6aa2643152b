"""F-63 at scale (F-62, F-65): every main list query of the controller's screens reads by index —
on 3,000 generated carnets (21,000 transactions, 42,000 lines, the bench's set-based
generator) after ANALYZE, PostgreSQL's EXPLAIN of each shows no Seq Scan on the transactions,
their lines or the read model — nor do the statistics' reads of what changed since the last
reconciliation run, nor the run's own. PostgreSQL only (DATABASE_URL): SQLite has no comparable
planner."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects import postgresql

from bench.history_scale import fill, setup_world
from portal.domain import logs, transits
from portal.domain.paging import COUNT_CAP
from portal.domain.reconciliation import entered_by_country, transit_rows, year_of
from portal.models import Country, CustomsAdministration, Transaction
from portal.models.monitoring import CarnetTerritory
from tests.support.monitoring import to_check_carnet

pytestmark = pytest.mark.postgres

BIG_TABLES = ("carnet_transaction", "transaction_item", "carnet_territory")
TODAY = dt.date(2026, 12, 3)


def _plan(session, stmt) -> str:
    compiled = stmt.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    conn = session.connection()
    rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), dict(compiled.params)).all()
    return "\n".join(r[0] for r in rows)


def _seq_scans(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if "Seq Scan on" in line]


def _filters(**kw) -> logs.Filters:
    return logs.parse_filters(kw)


def _queries(territory: int, office: int, carnet_id: int) -> dict:
    page = 21
    after = (dt.datetime(2026, 1, 1), 10**6)
    tq = {
        name: logs.newest_first(logs.transactions_query(territory, f), logs.TRANSACTION_KEYS)
        for name, f in {
            "transactions": _filters(),
            "transactions kind": _filters(kind="import"),
            "transactions state": _filters(status="cancelled"),
            "transactions dates": _filters(date_from="2026-01-01", date_to="2026-02-01"),
            "transactions office": _filters(office_id=str(office)),
            "transactions type": _filters(carnet_type="CPD"),
            "transactions search": _filters(q="chb00000012"),
            "transactions search reference": _filters(q="REF77"),
        }.items()
    }
    cq = {
        name: logs.newest_first(logs.carnets_query(territory, f, TODAY), logs.CARNET_KEYS)
        for name, f in {
            "carnets": _filters(),
            "carnets to check": _filters(status="to_check"),
            "carnets valid": _filters(status="valid"),
            "carnets expired": _filters(status="expired"),
            "carnets issued": _filters(date_from="2026-01-01"),
            "carnets office": _filters(office_id=str(office)),
            "carnets search": _filters(q="CHB00000012"),
            "carnets search eATA ID": _filters(q="100123"),
        }.items()
    }
    out = {k: q.limit(page) for k, q in {**tq, **cq}.items()}
    out["transactions next page (keyset)"] = (
        logs.transactions_query(territory, _filters())
        .where(tuple_(*logs.TRANSACTION_KEYS) < tuple_(*after))
        .order_by(*(k.desc() for k in logs.TRANSACTION_KEYS))
        .limit(page)
    )
    # the capped counts as paging.keyset_page runs them (the Carnets tab counts its lighter
    # query: the read model's ids, joined only to what a filter reads)
    counted = {
        "transactions": out["transactions"],
        "carnets": logs.carnets_query(territory, _filters(), TODAY, count=True),
        "carnets to check": logs.carnets_query(
            territory, _filters(status="to_check"), TODAY, count=True
        ),
    }
    for name, q in counted.items():
        keys = logs.TRANSACTION_KEYS if name == "transactions" else logs.CARNET_KEYS
        inner = q.order_by(None).order_by(*(k.desc() for k in keys)).limit(COUNT_CAP + 1)
        out[f"{name} count (capped)"] = select(func.count()).select_from(inner.subquery())
    out["a carnet's history"] = select(Transaction).where(Transaction.carnet_id == carnet_id)
    out["visible ids (exports)"] = select(Transaction.id).where(
        Transaction.id.in_([1, 2, 3]), logs.visible_transactions(territory)
    )
    rows = transit_rows(TODAY, territory_id=territory).subquery()
    out["transits"] = select(rows).order_by(rows.c.open_id.desc()).limit(page)
    # statistics (F-66): what changed since the last run's counts, and a run's interval
    since, until = dt.datetime(2026, 12, 1), dt.datetime(2026, 12, 2)
    out["statistics: carnets entered since"] = entered_by_country(territory).where(
        CarnetTerritory.entered_at >= since
    )
    out["statistics: committed since"] = (
        select(year_of(Transaction.committed_at), func.count())
        .where(Transaction.territory_id == territory, Transaction.committed_at >= since)
        .group_by(year_of(Transaction.committed_at))
    )
    out["reconciliation: committed in the interval"] = (
        select(Transaction.territory_id, year_of(Transaction.committed_at), func.count())
        .where(Transaction.committed_at >= since, Transaction.committed_at < until)
        .group_by(Transaction.territory_id, year_of(Transaction.committed_at))
    )
    out["reconciliation: entered in the interval"] = entered_by_country().where(
        CarnetTerritory.entered_at >= since, CarnetTerritory.entered_at < until
    )
    return out


def _volume(world) -> None:
    s = world.session
    fill(s, 1, 3000, 3000, setup_world(s))
    s.commit()
    s.connection().exec_driver_sql("ANALYZE")
    s.commit()


def test_f63_every_list_query_reads_by_index(world):
    s = world.session
    if s.get_bind().dialect.name != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL's planner (run with DATABASE_URL on PostgreSQL)")
    _volume(world)
    carnet = to_check_carnet(world)
    fr = world.officer("fr")
    territory = world.session.get(CustomsAdministration, fr.account.customs_id).territory_id
    plans = {name: _plan(s, q) for name, q in _queries(territory, fr.office.id, carnet.id).items()}
    scans = {
        name: [line for line in _seq_scans(plan) if any(t in line for t in BIG_TABLES)]
        for name, plan in plans.items()
    }
    assert {name: lines for name, lines in scans.items() if lines} == {}, plans
    assert transits.STATES  # the transit page's query is the one checked above


def test_f63_the_old_whole_table_aggregate_would_have_been_caught(world):
    """The check bites: R-04 as it was before the read model (the entry time of every carnet
    in the territory, aggregated over the transactions) scans the whole table."""
    s = world.session
    if s.get_bind().dialect.name != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL's planner (run with DATABASE_URL on PostgreSQL)")
    _volume(world)
    territory = world.session.get(Country, "FR").territory_id
    entered = (
        select(Transaction.carnet_id, func.min(Transaction.committed_at))
        .where(Transaction.territory_id == territory)
        .group_by(Transaction.carnet_id)
        .subquery()
    )
    old = (
        select(Transaction)
        .join(entered, entered.c.carnet_id == Transaction.carnet_id)
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
        .limit(21)
    )
    assert any("carnet_transaction" in line for line in _seq_scans(_plan(s, old)))
