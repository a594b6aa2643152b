"""Finding carnets: by eATA ID or number, an NGA's list, the download PIN check."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload, undefer

from portal.db import now_utc
from portal.domain import NotFound, archive
from portal.domain.paging import Page, paginate
from portal.models import (
    Carnet,
    CarnetLink,
)

# --- look-ups -------------------------------------------------------------------------------


# what the NICS API presents of a carnet, loaded with it (options are immutable: built once)
_LOADED = (
    joinedload(Carnet.nga),
    joinedload(Carnet.issuing_association),
    selectinload(Carnet.items),
    selectinload(Carnet.countries),
    selectinload(Carnet.sets),
    selectinload(Carnet.links).joinedload(CarnetLink.linked_carnet),
)
# an NGA's carnet by eATA ID, built once (the statement of every NICS read): plain, and locked
_OF_NGA = (
    select(Carnet)
    .where(Carnet.eata_id == bindparam("eata_id"), Carnet.nga_id == bindparam("nga_id"))
    .options(*_LOADED)
)
_OF_NGA_FOR_UPDATE = _OF_NGA.with_for_update(of=Carnet)  # not the outer-joined NGA/association


def get_for_nga(session: Session, nga_id: int, eata_id: int, *, for_update: bool = False) -> Carnet:
    """The carnet of this NGA; another NGA's carnet is not found, exactly like a missing one."""
    carnet = session.execute(
        _OF_NGA_FOR_UPDATE if for_update else _OF_NGA, {"eata_id": eata_id, "nga_id": nga_id}
    ).scalar_one_or_none()
    if carnet is None:
        raise NotFound(f"No carnet with eATA ID {eata_id}.")
    return carnet


def find_by_number(session: Session, nga_id: int, carnet_number: str) -> Carnet:
    carnet = session.scalar(
        select(Carnet)
        .where(Carnet.carnet_number == carnet_number, Carnet.nga_id == nga_id)
        .options(*_LOADED)
    )
    if carnet is None:
        raise NotFound(f"No carnet numbered {carnet_number}.")
    return carnet


def list_for_nga(
    session: Session,
    nga_id: int,
    *,
    page: int = 1,
    per_page: int = 50,
    status: str | None = None,
    today: dt.date | None = None,
) -> tuple[list[Carnet], int]:
    today = today or now_utc().date()
    cond = [Carnet.nga_id == nga_id]
    if status:  # the status people see (Carnet.effective_status)
        cond += Carnet.status_is(status, today)
    total = session.scalar(select(func.count()).select_from(Carnet).where(*cond)) or 0
    rows = session.scalars(
        select(Carnet)
        .where(*cond)
        .options(selectinload(Carnet.sets), undefer(Carnet.paper_validated))
        .order_by(Carnet.created_at.desc(), Carnet.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def transaction_history(session: Session, carnet_id: int, page: int, per_page: int) -> Page:
    """The carnet's transactions, oldest first, cancelled ones included (the counterfoils,
    F-23); a page past the end is empty. An archived carnet's from the archive."""
    t = archive.store_for(session, carnet_id).txn
    stmt = (
        select(t)
        .where(t.carnet_id == carnet_id)
        .options(selectinload(t.items))
        .order_by(t.committed_at, t.id)
    )
    result = paginate(session, stmt, page, per_page)
    return result if result.page == page else Page([], result.total, page, per_page)
