"""F-63: a list's count stops at its cap (the pager then says "more than …") and is exact up to
it."""

from __future__ import annotations

from sqlalchemy import literal, select, union_all

from portal.domain import paging


def _numbers(n: int):
    rows = union_all(*(select(literal(i).label("n")) for i in range(1, n + 1))).subquery()
    return select(rows.c.n)


def test_f63_count_is_exact_up_to_the_cap_and_says_more_beyond(session):
    assert paging.capped_count(session, _numbers(5), 5) == (5, False)
    total, more = paging.capped_count(session, _numbers(7), 5)
    assert (total, more) == (5, True)
    assert paging.capped_count(session, _numbers(3), 5) == (3, False)
