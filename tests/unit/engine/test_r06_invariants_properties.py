"""Property-based tests (hypothesis): random sequences of travels, commits, cancellations and
deletions on one carnet keep the invariants of R-05, R-06, R-09 and R-12:

- quantities never negative and never above the pieces, per item, pair and territory;
- sets never negative, and always issued − what the live travels consumed;
- a committed transaction is never lost (only cancelled, with a cancellation record);
- a cancellation restores the quantities exactly;
- a refused action changes nothing.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.domain import DomainError, travels
from portal.domain.rules import PAIRS, balances, territory_of
from portal.domain.transactions import (
    cancel_transaction,
    cancellation_code_of,
    commit_voucher,
)
from portal.models import Cancellation, Transaction, Travel, Voucher
from tests.support.factory import HOLDER_NAME, add_administration, issue

ROUTES = [
    ("CH", "FR", ()),
    ("CH", "NO", ()),
    ("CH", "NO", ("FR",)),
    ("FR", "CH", ()),
    ("NO", "CH", ()),
    ("FR", "NO", ()),
    ("NO", "FR", ()),
    ("FR", "FR", ()),
    ("DE", "CH", ()),
]
OFFICER_OF = {"CH": "ch", "FR": "fr", "DE": "be", "NO": "no"}
SETS = {"export_reimport": 3, "import_reexport": 4, "transit": 1}

step = st.tuples(
    st.sampled_from(
        ["travel", "travel", "commit", "commit", "commit", "commit", "commit", "cancel", "delete"]
    ),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


def _state(session, carnet_id: int) -> tuple:
    session.expire_all()
    return (
        session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.carnet_id == carnet_id)
        ),
        tuple(sorted(balances(session, carnet_id).items())),
        tuple(
            session.scalars(
                select(Voucher.state).where(Voucher.carnet_id == carnet_id).order_by(Voucher.id)
            )
        ),
    )


def _check_invariants(world, carnet, committed: set[int]) -> None:
    s = world.session
    s.expire_all()
    items = {i.id: i.pieces for i in carnet.items}
    bal = balances(s, carnet.id)
    territories = {t for (_, t, _) in bal}
    for add, remove in PAIRS:
        for t in territories:
            for item_id, pieces in items.items():
                out = bal.get((add, t, item_id), 0) - bal.get((remove, t, item_id), 0)
                assert 0 <= out <= pieces, (add, t, item_id, out)
    live = s.scalars(
        select(Travel).where(Travel.carnet_id == carnet.id, Travel.deleted_at.is_(None))
    ).all()
    for sets in carnet.sets:
        consumed = sum((t.sets_consumed or {}).get(sets.kind, 0) for t in live)
        assert sets.remaining >= 0
        assert sets.remaining == sets.issued - consumed
    rows = dict(
        s.execute(
            select(Transaction.id, Transaction.state).where(Transaction.carnet_id == carnet.id)
        ).all()
    )
    assert committed <= set(rows)  # never lost
    cancelled = {i for i, st_ in rows.items() if st_ == "cancelled"}
    recorded = (
        set(
            s.scalars(
                select(Cancellation.transaction_id).where(
                    Cancellation.transaction_id.in_(cancelled)
                )
            )
        )
        if cancelled
        else set()
    )
    assert cancelled == recorded


def _run(world, carnet, steps) -> None:
    s = world.session
    committed: set[int] = set()
    for op, a, b in steps:
        before = _state(s, carnet.id)
        try:
            if op == "travel":
                dep, dest, transits = ROUTES[a % len(ROUTES)]
                wanted = {
                    i.item_no: 1 + (b >> n) % i.pieces
                    for n, i in enumerate(carnet.items)
                    if (b >> n) & 1
                } or {carnet.items[0].item_no: 1}
                travels.prepare_travel(
                    s,
                    world.holder,
                    carnet,
                    travels.TravelInput(dep, dest, "land", wanted, HOLDER_NAME, list(transits)),
                )
            elif op == "commit":
                open_ = s.scalars(
                    select(Voucher)
                    .where(
                        Voucher.carnet_id == carnet.id, Voucher.state.in_(("open", "pre_exported"))
                    )
                    .order_by(Voucher.id)
                ).all()
                if not open_:
                    continue
                if b % 4:  # mostly the next voucher of a travel, as at a real border
                    heads: dict[int, Voucher] = {}
                    for x in open_:
                        heads.setdefault(x.travel_id, x)
                    firsts = sorted(heads.values(), key=lambda x: x.id)
                    v = firsts[a % len(firsts)]
                else:
                    v = open_[a % len(open_)]
                fields = {"goods_examined": bool(b % 2)} if v.kind == "validation" else {}
                r = commit_voucher(
                    s, v.id, world.officer(OFFICER_OF[v.country_code]), fields=fields
                )
                committed.update(r.transaction_ids)
            elif op == "cancel":
                done = s.scalars(
                    select(Transaction)
                    .where(Transaction.carnet_id == carnet.id, Transaction.state == "committed")
                    .order_by(Transaction.id)
                ).all()
                if not done:
                    continue
                txn = done[a % len(done)]
                cc = {
                    territory_of(s, "CH"): "ch",
                    territory_of(s, "FR"): "fr",
                    territory_of(s, "NO"): "no",
                }[txn.territory_id]
                bal_before = balances(s, carnet.id)
                cancel_transaction(
                    s, txn.id, world.officer(cc), cancellation_code_of(txn), "property test"
                )
                s.flush()
                expected = dict(bal_before)
                for line in txn.items:
                    if line.line == "cleared":
                        key = (txn.kind, txn.territory_id, line.goods_item_id)
                        expected[key] -= line.quantity
                        if expected[key] == 0:
                            del expected[key]
                assert balances(s, carnet.id) == expected  # cancel restores exactly
            elif op == "delete":
                live = s.scalars(
                    select(Travel)
                    .where(Travel.carnet_id == carnet.id, Travel.deleted_at.is_(None))
                    .order_by(Travel.id)
                ).all()
                if not live:
                    continue
                travels.delete_travel(s, world.holder, live[a % len(live)].id)
            s.commit()
        except DomainError:
            s.rollback()
            assert _state(s, carnet.id) == before  # a refusal changes nothing
        _check_invariants(world, carnet, committed)


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=10, max_size=40))
def test_r06_r09_r05_invariants_hold_for_random_sequences(world, steps):
    if "no" not in world.officers:
        add_administration(world, "no", "NO")
    carnet = issue(world, items=3, pieces=2, sets=SETS)
    _run(world, carnet, steps)


def test_r06_a_long_journey_keeps_the_invariants(world):
    """A deterministic run through every route, so the property above always has company."""
    add_administration(world, "no", "NO")
    carnet = issue(world, items=3, pieces=2, sets=SETS)
    steps = (
        [("travel", 0, 7)]
        + [("commit", 0, 1)] * 3
        + [("travel", 5, 7)]
        + [("commit", 0, 0)] * 2
        + [("cancel", 99, 0), ("commit", 0, 0), ("travel", 4, 7)]
        + [("commit", 0, 0)] * 2
        + [("delete", 0, 0)]
    )
    _run(world, carnet, steps)
    world.session.expire_all()
    assert world.session.scalar(select(func.count()).select_from(Transaction)) >= 8
