"""One page of a list: the one pagination helper of every screen (20 rows a page by default).

Two ways to reach a page, both here:
- `paginate`: by page number (LIMIT/OFFSET) — lists of an administration's own objects, which
  stay small;
- `keyset_page`: by a cursor on the list's order (the key of the last row shown, or of the
  first for Previous) — the Logs lists, where millions of rows make OFFSET scan everything it
  skips. A page number without a cursor (a typed URL) still works, by OFFSET, up to the count
  cap.

Counts can be capped (`count_cap`): the count stops after that many rows and the pager says
"more than 1,000 items" instead of counting millions of rows on every page view (a count
reads up to that many matching rows: with a selective filter, many more rows than that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

PER_PAGE = 20
COUNT_CAP = 1_000
_CURSOR_SEP = "~"


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    # the count stopped at the cap: there are more than `total` rows
    more: bool = False
    # keyset pagination: cursors of the Next / Previous links (None: no such page)
    next_after: str | None = None
    prev_before: str | None = None
    keyset: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        """1-based number of the first row shown (0 when there is none)."""
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def has_prev(self) -> bool:
        if self.keyset:
            return self.prev_before is not None
        return self.page > 1

    @property
    def has_next(self) -> bool:
        if self.keyset:
            return self.next_after is not None
        return self.page < self.pages


def capped_count(
    session: Session, stmt: Select, cap: int | None, order: Sequence[Any] = ()
) -> tuple[int, bool]:
    """(number of rows of `stmt`, whether it is more than that): counts at most cap + 1 rows,
    taken in `order` when given (the list's own index order: the count then reads the index
    the list reads, never the whole table)."""
    inner = stmt.order_by(None)
    if cap is not None:
        inner = inner.order_by(*order).limit(cap + 1)
    n = session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    if cap is not None and n > cap:
        return cap, True
    return n, False


def paginate(
    session: Session,
    stmt: Select,
    page: int,
    per_page: int = PER_PAGE,
    *,
    rows: bool = False,
    total: int | None = None,
    count_cap: int | None = None,
) -> Page:
    """The `page`-th page of `stmt` (clamped to the last page). `rows=True` keeps whole rows
    (several columns) instead of the first column's objects; `total` skips the count query
    when the caller already knows it; `count_cap` stops the count there (Page.more)."""
    more = False
    if total is None:
        total, more = capped_count(session, stmt, count_cap)
    per_page = max(1, per_page)
    page = min(max(1, page), max(1, -(-total // per_page)))
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.execute(limited).all() if rows else session.scalars(limited))
    return Page(items, total, page, per_page, more=more)


# --- keyset -----------------------------------------------------------------------------------


def encode_cursor(values: Sequence[Any]) -> str:
    """A cursor for a URL: ints and datetimes (ISO) joined by "~"."""
    return _CURSOR_SEP.join(v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in values)


def decode_cursor(raw: str | None, n: int) -> tuple | None:
    """The `n` values of a cursor, or None when it is missing or not one of ours (then the
    list starts from its page number)."""
    if not raw or len(raw) > 80:
        return None
    parts = raw.split(_CURSOR_SEP)
    if len(parts) != n:
        return None
    out: list[Any] = []
    for part in parts:
        if part.isascii() and part.isdigit() and len(part) < 12:
            out.append(int(part))
            continue
        try:
            out.append(dt.datetime.fromisoformat(part))
        except ValueError:
            return None
    return tuple(out)


def keyset_page(
    session: Session,
    stmt: Select,
    keys: Sequence[Any],
    key_of: Callable[[Any], Sequence[Any]],
    *,
    page: int = 1,
    after: str | None = None,
    before: str | None = None,
    per_page: int = PER_PAGE,
    rows: bool = False,
    count_cap: int | None = COUNT_CAP,
    count_stmt: Select | None = None,
) -> Page:
    """A page of `stmt` (no ORDER BY of its own) in descending order of `keys` (unique
    together, the last one the primary key), reached by cursor: `after` the key of the last
    row of the previous page (Next), `before` the key of the first row of the next page
    (Previous), or else by `page` number (OFFSET, clamped to the count cap). `key_of` gives
    the key values of an item. The count stops at `count_cap`; `count_stmt` counts instead
    of `stmt` (the same rows, fewer joins: the caller's own lighter query)."""
    per_page = max(1, per_page)
    desc = [k.desc() for k in keys]
    total, more = capped_count(session, stmt if count_stmt is None else count_stmt, count_cap, desc)
    last_page = max(1, -(-total // per_page))
    after_key = decode_cursor(after, len(keys))
    before_key = decode_cursor(before, len(keys)) if after_key is None else None
    if after_key is not None:
        q = stmt.where(tuple_(*keys) < tuple_(*after_key)).order_by(*desc)
        q = q.limit(per_page + 1)
    elif before_key is not None:
        q = stmt.where(tuple_(*keys) > tuple_(*before_key)).order_by(*keys)
        q = q.limit(per_page + 1)
    else:
        page = min(max(1, page), last_page)
        q = stmt.order_by(*desc).limit(per_page + 1).offset((page - 1) * per_page)
    found = list(session.execute(q).all() if rows else session.scalars(q))
    has_more = len(found) > per_page
    found = found[:per_page]
    if before_key is not None:
        found.reverse()
        page = max(1, page)
        if not has_more:  # nothing before these: the first page
            page = 1
        has_prev, has_next = has_more, True
    else:
        page = max(1, page)
        has_prev, has_next = page > 1 or after_key is not None, has_more
    return Page(
        found,
        total,
        page,
        per_page,
        more=more,
        next_after=encode_cursor(key_of(found[-1])) if has_next and found else None,
        prev_before=encode_cursor(key_of(found[0])) if has_prev and found else None,
        keyset=True,
    )
