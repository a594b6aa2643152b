"""The cleaning session (F-16): rows with errors first, edits saved from the browser, the
whole session validated again after each save (uniqueness depends on the other rows), its
counts kept up to date."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict
from portal.domain.bulk.columns import spec_of
from portal.domain.bulk.rules import check_cell, load_context, validate_all
from portal.domain.xlsx_guard import Limits
from portal.models import CustomsAdministration
from portal.models.bulk import BulkRow, BulkSession


def page_of_rows(session: Session, bs: BulkSession, page: int, per_page: int = 50) -> list[BulkRow]:
    """Rows with errors first, then the rest, imported rows last; in sheet order."""
    return list(
        session.scalars(
            select(BulkRow)
            .where(BulkRow.bulk_session_id == bs.id)
            .order_by(
                BulkRow.imported_id.is_not(None), BulkRow.has_errors.desc(), BulkRow.row_number
            )
            .offset(max(page - 1, 0) * per_page)
            .limit(per_page)
        )
    )


def revalidate(session: Session, bs: BulkSession, customs: CustomsAdministration) -> None:
    """Validate every row still to import again (uniqueness depends on the other rows)."""
    spec = spec_of(bs.kind)
    rows = list(
        session.execute(
            select(BulkRow.id, BulkRow.data, BulkRow.errors)
            .where(BulkRow.bulk_session_id == bs.id, BulkRow.imported_id.is_(None))
            .order_by(BulkRow.row_number)
        )
    )
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [r.data for r in rows])
    changes = [
        {"id": r.id, "errors": errs or None, "has_errors": bool(errs)}
        for r, (errs, _) in zip(rows, results, strict=True)
        if (r.errors or {}) != errs
    ]
    if changes:
        session.execute(update(BulkRow), changes)
    bs.error_count = sum(1 for errs, _ in results if errs)
    bs.row_count = session.scalar(
        select(func.count()).select_from(BulkRow).where(BulkRow.bulk_session_id == bs.id)
    )
    bs.updated_at = now_utc()
    session.flush()


def save_rows(
    session: Session,
    bs: BulkSession,
    customs: CustomsAdministration,
    edits: dict[int, dict],
    removed: set[int] | None = None,
    max_chars: int = Limits.max_cell_chars,
) -> None:
    """Store the values edited in the browser ("Save changes") and re-validate the session.
    Only rows of this session that are not imported yet can change. Every edited cell is
    checked as at the upload (`check_cell`): a refused one changes nothing."""
    if bs.status != "cleaning":
        raise Conflict(_("The import is running: wait until it ends to change rows."))
    spec = spec_of(bs.kind)
    keys = {c.key: c for c in spec.columns}
    ids = set(edits) | set(removed or ())
    rows = (
        {
            r.id: r
            for r in session.scalars(
                select(BulkRow).where(
                    BulkRow.bulk_session_id == bs.id,
                    BulkRow.id.in_(ids),
                    BulkRow.imported_id.is_(None),
                )
            )
        }
        if ids
        else {}
    )
    for row_id in removed or ():
        if row_id in rows:
            session.delete(rows.pop(row_id))
    for row_id, values in edits.items():
        row = rows.get(row_id)
        if row is None:
            continue
        data = dict(row.data)
        for key, value in values.items():
            if key in keys:
                data[key] = check_cell(value, max_chars)[: keys[key].max_len + 1]
        row.data = data
    session.flush()
    revalidate(session, bs, customs)
