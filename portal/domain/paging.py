"""One page of a list: the one pagination helper of every screen (20 rows a page by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 20


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

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
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    session: Session,
    stmt: Select,
    page: int,
    per_page: int = PER_PAGE,
    *,
    rows: bool = False,
    total: int | None = None,
) -> Page:
    """The `page`-th page of `stmt` (clamped to the last page). `rows=True` keeps whole rows
    (several columns) instead of the first column's objects; `total` skips the count query
    when the caller already knows it."""
    if total is None:
        total = (
            session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        )
    per_page = max(1, per_page)
    page = min(max(1, page), max(1, -(-total // per_page)))
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.execute(limited).all() if rows else session.scalars(limited))
    return Page(items, total, page, per_page)
