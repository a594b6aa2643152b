"""The engine's locks and the fixed statements it reads with.

A commit (and a rejection, hold, cancellation, marking) first takes the locks — the carnet row,
then the voucher row: SELECT … FOR UPDATE on PostgreSQL; on SQLite an UPDATE of the voucher
first, which takes the database's single write lock — so two officers committing the same
voucher, or two vouchers of the same carnet, are serialised and every rule is checked against
the state that will be written on. A commit then reads its context (`context_columns`) in one
statement once the locks are held.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, RowMapping, String, bindparam, exists, func, select, update
from sqlalchemy.orm import Session, joinedload

from portal.domain import NotFound, batch
from portal.domain.rules import Place
from portal.models import (
    Carnet,
    CarnetCountry,
    Country,
    Hold,
    Holder,
    HolderNotification,
    Signature,
    Transaction,
    Travel,
    Voucher,
    WalletCarnet,
)


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def context_columns(carnet_id: Any, travel_id: Any, pg: bool) -> list:
    """What a commit reads besides the carnet and the voucher, as scalar subqueries of one
    statement run right after the locks are taken: the transaction
    stored under this commit token (R-11), the active hold in the territory (R-03), whether
    the territory is in Box P (R-02), the holder's latest signature of the travel's declaration
    (F-31), the travel's transport, packaging and remarks and, on PostgreSQL, the id of the transaction to write. Parameters: territory_id,
    token_hash (None: no token)."""
    T, H, S = Transaction, Hold, Signature
    territory_id = bindparam("territory_id", type_=Integer)
    sig = (
        select(S.signed_name, S.signed_at)
        .where(S.travel_id == travel_id, S.kind == "declaration")
        .order_by(S.signed_at.desc(), S.id.desc())
        .limit(1)
    )
    cols = [
        select(T.id)
        .where(T.commit_token_hash == bindparam("token_hash", type_=String))
        .scalar_subquery()
        .label("replay_id"),
        select(H.id)
        .where(H.carnet_id == carnet_id, H.territory_id == territory_id, H.released_at.is_(None))
        .order_by(H.held_at)
        .limit(1)
        .scalar_subquery()
        .label("hold_id"),
        exists()
        .where(
            CarnetCountry.carnet_id == carnet_id,
            CarnetCountry.country_code == Country.code,
            Country.territory_id == territory_id,
        )
        .label("in_box_p"),
        sig.with_only_columns(S.signed_name).scalar_subquery().label("signed_name"),
        sig.with_only_columns(S.signed_at).scalar_subquery().label("signed_at"),
    ]
    # the travel's holder-filled fields (as the officer may have amended them at step 3),
    # recorded on the transaction
    for column, name in (
        (Travel.transport_mode, "transport_mode"),
        (Travel.packaging_details, "packaging_details"),
        (Travel.extra_details, "holder_remarks"),
    ):
        cols.append(select(column).where(Travel.id == travel_id).scalar_subquery().label(name))
    if pg:
        # the id of the transaction to write, and the holders to notify with the ids of their
        # notifications (each subquery runs once: the statement has no FROM of its own)
        cols.append(select(batch.nextval(batch.table_of(T))).scalar_subquery().label("txn_id"))
        cols.append(
            select(
                func.json_agg(
                    func.json_build_array(
                        Holder.id,
                        Holder.email,
                        Holder.given_names,
                        Holder.surname,
                        Holder.language,
                        batch.nextval(batch.table_of(HolderNotification)),
                    )
                )
            )
            .join(WalletCarnet, WalletCarnet.holder_id == Holder.id)
            .where(WalletCarnet.carnet_id == carnet_id, Holder.active.is_(True))
            .scalar_subquery()
            .label("holders")
        )
    return cols


# Built once per process: building a statement with its subqueries costs more Python than
# running it. They hold SQL, no data, so nothing here goes stale.
_STATEMENTS: dict[str, Any] = {}


def statement(name: str) -> Any:
    """The engine's fixed statements: `lock_pg`, `context`/`context_pg`, `holders`/`holders_pg`."""
    stmt = _STATEMENTS.get(name)
    if stmt is not None:
        return stmt
    voucher_id = bindparam("voucher_id", type_=Integer)
    if name == "lock_pg":
        # FOR UPDATE OF carnet, voucher (PostgreSQL locks the rows of the tables in FROM
        # order: the carnet, then the voucher), with the general list the rules read loaded by
        # the same query
        stmt = (
            select(Carnet, Voucher)
            .join(Voucher, Voucher.carnet_id == Carnet.id)
            .where(Voucher.id == voucher_id)
            .options(joinedload(Carnet.items))
            .with_for_update(of=[Carnet, Voucher])
            .execution_options(populate_existing=True)
        )
    elif name in ("context", "context_pg"):
        stmt = select(
            *context_columns(
                bindparam("carnet_id", type_=Integer),
                bindparam("travel_id", type_=Integer),
                pg=name == "context_pg",
            )
        )
    elif name in ("holders", "holders_pg"):
        cols: list[Any] = [
            Holder.id,
            Holder.email,
            Holder.given_names,
            Holder.surname,
            Holder.language,
        ]
        if name == "holders_pg":
            # the notification's id, taken with the read (one per holder row)
            cols.append(batch.nextval(batch.table_of(HolderNotification)).label("note_id"))
        stmt = (
            select(*cols)
            .join(WalletCarnet, WalletCarnet.holder_id == Holder.id)
            .where(
                WalletCarnet.carnet_id == bindparam("carnet_id", type_=Integer),
                Holder.active.is_(True),
            )
        )
    else:
        raise KeyError(name)
    _STATEMENTS[name] = stmt
    return stmt


def lock(session: Session, voucher_id: int) -> tuple[Carnet, Voucher]:
    """Lock the carnet and the voucher (see the module docstring) and return them fresh."""
    carnet: Carnet | None
    voucher: Voucher | None
    if is_pg(session):
        row = (
            session.execute(statement("lock_pg"), {"voucher_id": voucher_id}).unique().one_or_none()
        )
        if row is None:
            raise NotFound(_("No such voucher."))
        carnet, voucher = row
    else:
        session.execute(
            update(Voucher)
            .where(Voucher.id == voucher_id)
            .values(lock_seq=Voucher.lock_seq + 1)
            .execution_options(synchronize_session=False)
        )
        carnet_id = session.scalar(select(Voucher.carnet_id).where(Voucher.id == voucher_id))
        if carnet_id is None:
            raise NotFound(_("No such voucher."))
        carnet = session.scalar(
            select(Carnet).where(Carnet.id == carnet_id).execution_options(populate_existing=True)
        )
        voucher = session.scalar(
            select(Voucher)
            .where(Voucher.id == voucher_id)
            .execution_options(populate_existing=True)
        )
    assert carnet is not None and voucher is not None  # the voucher's foreign key
    return carnet, voucher


def commit_context(
    session: Session, carnet: Carnet, voucher: Voucher, place: Place, token_hash: str | None
) -> RowMapping:
    """The row of `context_columns`, read by its own statement once the locks are held (call
    it after `lock`): a statement that had to wait for a lock still sees the rows as they were
    when it started (a hold or a first commit made meanwhile would be missed), a new statement
    sees them as committed."""
    return (
        session.connection()
        .execute(
            statement("context_pg" if is_pg(session) else "context"),
            {
                "territory_id": place.territory_id,
                "token_hash": token_hash,
                "carnet_id": carnet.id,
                "travel_id": voucher.travel_id,
            },
        )
        .one()
        ._mapping
    )


def lock_carnet(session: Session, carnet_id: int) -> Carnet:
    stmt = select(Carnet).where(Carnet.id == carnet_id).execution_options(populate_existing=True)
    if is_pg(session):
        stmt = stmt.with_for_update()
    else:
        session.execute(
            update(Carnet)
            .where(Carnet.id == carnet_id)
            .values(updated_at=Carnet.updated_at)
            .execution_options(synchronize_session=False)
        )
    carnet = session.scalar(stmt)
    if carnet is None:
        raise NotFound(_("No such carnet."))
    return carnet
