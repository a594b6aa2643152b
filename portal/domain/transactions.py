"""The transaction engine (F-41 … F-48, R-01 … R-11): commit, reject, cancel, hold, release.

`commit_voucher` is the one function every caller uses (wizard, customs API, jobs). It:
1. takes the locks — the carnet row, then the voucher row: SELECT … FOR UPDATE on PostgreSQL;
   on SQLite an UPDATE of the voucher first, which takes the database's single write lock —
   so two officers committing the same voucher, or two vouchers of the same carnet, are
   serialised and every rule below is checked against the state that will be written on;
2. answers a replay of the same commit token with the first result (R-11);
3. checks every rule (portal/domain/rules.py) against the current state;
4. writes the transaction, its items, the audit event, the holder notifications and the outbox
   rows (notification signal, email receipt) in the session's transaction — as Core
   statements, not ORM objects (bench/README.md "Transaction engine").
The caller commits: all of it is stored, or none. Every refusal raises DomainError before
anything is written.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, exists, func, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, audit, batch, crypto
from portal.domain.carnets import fmt_date
from portal.domain.codes import keyed_hash, new_typable_code, same
from portal.domain.rules import (
    FINAL_DATE_LABELS,
    Place,
    check_activation,
    check_balances_after_cancel,
    check_final_date,
    check_hold,
    check_holds,
    check_place,
    check_quantities,
    check_status,
    label,
)
from portal.domain.vouchers import (
    TooManyGuesses,
    check_not_locked,
    failed_guess,
    normalize_code,
)
from portal.models import (
    Account,
    Cancellation,
    Carnet,
    CarnetCountry,
    Country,
    CustomsAdministration,
    CustomsTerritory,
    GoodsItem,
    Hold,
    Holder,
    HolderNotification,
    Office,
    Rejection,
    Signature,
    Transaction,
    TransactionItem,
    Travel,
    TravelItem,
    Voucher,
    WalletCarnet,
)
from portal.models.jobs import OutboxMessage

CODE_LENGTH = 13
COMMON_FIELDS = {"reference", "remarks"}
# the commit fields of each kind, exactly as the Customs User Guide's step 4 (F-41)
KIND_FIELDS = {
    "validation": {"goods_examined"},
    "export": {"final_date", "quantities"},
    "import": {"final_date", "quantities"},
    "reexport": {"action_not_reexported", "action_not_produced", "quantities"},
    "reimport": {"not_reimported", "processed_abroad", "quantities"},
    "transit_open": {"final_date", "customs_seals", "quantities"},
    "transit_close": {"quantities"},
}
FIELD_LABELS = {
    "goods_examined": "goods examined", "final_date": "final date",
    "action_not_reexported": "action taken for goods produced but not re-exported",
    "action_not_produced": "action taken for goods not produced",
    "not_reimported": "goods not re-imported", "processed_abroad": "goods processed abroad",
    "customs_seals": "customs seals", "reference": "customs reference number",
    "remarks": "customs remarks", "quantities": "quantities presented",
}
EXPORT_STEPS = ("export", "exit")


@dataclass(frozen=True)
class Officer:
    """Who acts at customs: the account and the office it works from (changeable within the
    region in the wizard)."""

    account: Account
    office: Office
    ip: str | None = None


@dataclass(frozen=True)
class CommitResult:
    transaction_id: int
    kind: str
    verification_code: str
    cancellation_code: str
    transaction_ids: tuple[int, ...]
    replayed: bool = False


_PLACES: dict[tuple, Place] = {}


def place_of(session: Session, officer: Officer) -> Place:
    """Where the officer acts. The office → administration → territory resolution is cached
    per process (reference data); the active flags are checked on every call."""
    account, office = officer.account, officer.office
    if office is None or office.customs_id != account.customs_id:
        raise PermissionDenied("Choose an office of your own administration.")
    if not office.active or not account.active:
        raise PermissionDenied("This office or account is not active.")
    key = (account.id, account.customs_id, account.full_name, office.id, office.customs_id,
           office.name, office.country_code)
    place = _PLACES.get(key)
    if place is None:
        admin = session.get(CustomsAdministration, account.customs_id)
        country_code = office.country_code or admin.country_code
        country = session.get(Country, country_code)
        territory_id = country.territory_id or admin.territory_id
        territory = session.get(CustomsTerritory, territory_id)
        place = Place(customs_id=admin.id, office_id=office.id, office_name=office.name,
                      territory_id=territory_id, territory_code=territory.code,
                      country_code=country_code, country_name=country.name,
                      account_id=account.id, officer_name=account.full_name)
        if len(_PLACES) > 10_000:
            _PLACES.clear()
        _PLACES[key] = place
    return place


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _lock(session: Session, voucher_id: int) -> tuple[Carnet, Voucher]:
    """Lock the carnet and the voucher (see the module docstring) and return them fresh."""
    carnet, voucher, _ = _lock_with_context(session, voucher_id, None)
    return carnet, voucher


def _context_columns(carnet_id, travel_id, pg: bool) -> list:
    """What a commit reads besides the carnet and the voucher, as scalar subqueries of one
    statement run right after the locks are taken: the transaction
    stored under this commit token (R-11), the active hold in the territory (R-03), whether
    the territory is in Box P (R-02), the holder's latest signature of the travel's declaration
    (F-31) and, on PostgreSQL, the id of the transaction to write. Parameters: territory_id,
    token_hash (None: no token)."""
    T, H, S = Transaction, Hold, Signature
    territory_id = bindparam("territory_id", type_=Integer)
    sig = (select(S.signed_name, S.signed_at)
           .where(S.travel_id == travel_id, S.kind == "declaration")
           .order_by(S.signed_at.desc(), S.id.desc()).limit(1))
    cols = [
        select(T.id).where(T.commit_token_hash == bindparam("token_hash", type_=String))
        .scalar_subquery().label("replay_id"),
        select(H.id).where(H.carnet_id == carnet_id, H.territory_id == territory_id,
                           H.released_at.is_(None)).order_by(H.held_at).limit(1)
        .scalar_subquery().label("hold_id"),
        exists().where(CarnetCountry.carnet_id == carnet_id,
                       CarnetCountry.country_code == Country.code,
                       Country.territory_id == territory_id).label("in_box_p"),
        sig.with_only_columns(S.signed_name).scalar_subquery().label("signed_name"),
        sig.with_only_columns(S.signed_at).scalar_subquery().label("signed_at"),
    ]
    if pg:
        # the id of the transaction to write, and the holders to notify with the ids of their
        # notifications (each subquery runs once: the statement has no FROM of its own)
        cols.append(select(batch.nextval(T.__table__)).scalar_subquery().label("txn_id"))
        cols.append(select(func.json_agg(func.json_build_array(
            Holder.id, Holder.email, Holder.given_names, Holder.surname,
            batch.nextval(HolderNotification.__table__))))
            .join(WalletCarnet, WalletCarnet.holder_id == Holder.id)
            .where(WalletCarnet.carnet_id == carnet_id, Holder.active.is_(True))
            .scalar_subquery().label("holders"))
    return cols


_STATEMENTS: dict[str, object] = {}


def _statement(name: str):
    """The engine's fixed statements, built once per process (building a statement with its
    subqueries costs more Python than running it)."""
    stmt = _STATEMENTS.get(name)
    if stmt is not None:
        return stmt
    voucher_id = bindparam("voucher_id", type_=Integer)
    if name == "lock_pg":
        # FOR UPDATE OF carnet, voucher (PostgreSQL locks the rows of the tables in FROM
        # order: the carnet, then the voucher), with the general list the rules read loaded by
        # the same query
        stmt = (select(Carnet, Voucher).join(Voucher, Voucher.carnet_id == Carnet.id)
                .where(Voucher.id == voucher_id).options(joinedload(Carnet.items))
                .with_for_update(of=[Carnet, Voucher])
                .execution_options(populate_existing=True))
    elif name in ("context", "context_pg"):
        stmt = select(*_context_columns(bindparam("carnet_id", type_=Integer),
                                        bindparam("travel_id", type_=Integer),
                                        pg=name == "context_pg"))
    elif name in ("holders", "holders_pg"):
        cols = [Holder.id, Holder.email, Holder.given_names, Holder.surname]
        if name == "holders_pg":
            # the notification's id, taken with the read (one per holder row)
            cols.append(batch.nextval(HolderNotification.__table__).label("note_id"))
        stmt = select(*cols).join(WalletCarnet, WalletCarnet.holder_id == Holder.id).where(
            WalletCarnet.carnet_id == bindparam("carnet_id", type_=Integer),
            Holder.active.is_(True))
    else:
        raise KeyError(name)
    _STATEMENTS[name] = stmt
    return stmt


def _lock_with_context(session: Session, voucher_id: int, context: tuple | None
                       ) -> tuple[Carnet, Voucher, object]:
    """`_lock`, and when `context` = (place, token_hash) is given, the row of
    `_context_columns` too — read by its own statement once the locks are held: a statement
    that had to wait for a lock still sees the rows as they were when it started (a hold or a
    first commit made meanwhile would be missed), a new statement sees them as committed."""
    pg = _is_pg(session)
    if pg:
        row = session.execute(_statement("lock_pg"), {"voucher_id": voucher_id}
                              ).unique().one_or_none()
        if row is None:
            raise NotFound("No such voucher.")
        carnet, voucher = row
    else:
        session.execute(update(Voucher).where(Voucher.id == voucher_id)
                        .values(lock_seq=Voucher.lock_seq + 1)
                        .execution_options(synchronize_session=False))
        carnet_id = session.scalar(select(Voucher.carnet_id).where(Voucher.id == voucher_id))
        if carnet_id is None:
            raise NotFound("No such voucher.")
        carnet = session.scalar(select(Carnet).where(Carnet.id == carnet_id)
                                .execution_options(populate_existing=True))
        voucher = session.scalar(select(Voucher).where(Voucher.id == voucher_id)
                                 .execution_options(populate_existing=True))
    ctx = None
    if context:
        place, token_hash = context
        ctx = session.connection().execute(_statement("context_pg" if pg else "context"), {
            "territory_id": place.territory_id, "token_hash": token_hash,
            "carnet_id": carnet.id, "travel_id": voucher.travel_id}).one()._mapping
    return carnet, voucher, ctx


def _lock_carnet(session: Session, carnet_id: int) -> Carnet:
    stmt = select(Carnet).where(Carnet.id == carnet_id).execution_options(populate_existing=True)
    if _is_pg(session):
        stmt = stmt.with_for_update()
    else:
        session.execute(update(Carnet).where(Carnet.id == carnet_id)
                        .values(updated_at=Carnet.updated_at)
                        .execution_options(synchronize_session=False))
    carnet = session.scalar(stmt)
    if carnet is None:
        raise NotFound("No such carnet.")
    return carnet


def _token_hash(token: str) -> str:
    return keyed_hash("commit:" + token)


def _aad(code_hash: str, what: str) -> str:
    """Binds a code's ciphertext to its row (through the row's unique code hash)."""
    return f"transaction:{code_hash}:{what}"


def _codes(txn: Transaction) -> tuple[str, str]:
    return (crypto.decrypt(txn.verification_code_enc,
                           _aad(txn.verification_code_hash, "verification")),
            crypto.decrypt(txn.cancellation_code_enc,
                           _aad(txn.cancellation_code_hash, "cancellation")))


def verification_code_of(txn: Transaction) -> str:
    return _codes(txn)[0]


def cancellation_code_of(txn: Transaction) -> str:
    """The holder's cancellation code (wallet, F-34), to show at the same counter (R-05)."""
    return _codes(txn)[1]


def _result(txn: Transaction, ids: tuple[int, ...], replayed: bool) -> CommitResult:
    verification, cancellation = _codes(txn)
    return CommitResult(txn.id, txn.kind, verification, cancellation, ids, replayed)


def _parse_date(value, field_name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("Give the date as dd/mm/yyyy.", field=field_name) from None


def _check_fields(kind: str, fields: dict) -> None:
    allowed = KIND_FIELDS[kind] | COMMON_FIELDS
    for name in fields:
        if name not in allowed:
            what = FIELD_LABELS.get(name, name)
            raise DomainError(f"The field “{what}” does not apply to a {label(kind)}.",
                              field=name, code="field_not_applicable")


def _desk_quantities(declared: list[tuple[GoodsItem, int]], value
                     ) -> list[tuple[GoodsItem, int]]:
    """The officer's quick change of the quantities at step 3 (the Customs User Guide: "other
    fields might be already populated by the holder … the officer can apply quick changes"):
    {item_no: pieces presented} for items of the holder's declaration, each at most the
    declared quantity (the holder signed for no more); items not named keep the declared
    quantity; at least one piece in all. The rules (R-06) then check these quantities.
    A refusal about one item names it (`DomainError.item`)."""
    if not isinstance(value, dict):
        raise DomainError("Give the quantities per item.", field="quantities")
    by_no = {item.item_no: (item, qty) for item, qty in declared}
    out = {no: qty for no, (_, qty) in by_no.items()}
    seen = set()
    for key, qty in value.items():
        try:
            no = int(key)
        except (TypeError, ValueError):
            no = None
        if no not in by_no:
            raise DomainError(f"Item {key} is not declared for this transaction.",
                              field="quantities", item=no)
        if no in seen:
            raise DomainError(f"Item {no} is given twice.", field="quantities", item=no)
        seen.add(no)
        limit = by_no[no][1]
        if not isinstance(qty, int) or isinstance(qty, bool) or not 0 <= qty <= limit:
            raise DomainError(f"Item {no}: give between 0 and the {limit} piece(s) declared.",
                              field="quantities", item=no)
        out[no] = qty
    lines = [(by_no[no][0], qty) for no, qty in sorted(out.items()) if qty]
    if not lines:
        raise DomainError("At least one item must be presented: to clear nothing, reject the "
                          "declaration instead.", field="quantities")
    return lines


def _presented_lines(session: Session, carnet: Carnet, voucher: Voucher, quantities
                     ) -> list[tuple[GoodsItem, int]]:
    """The goods the commit clears: the voucher's (`_voucher_lines`), with the officer's
    quantities when given (`quantities` None: as declared)."""
    lines = _voucher_lines(session, carnet, voucher)
    if quantities is not None:
        if voucher.state == "pre_exported":
            raise DomainError("The goods of a pre-exported exportation are those of its "
                              "pre-exportation: the quantities cannot change at the exit.",
                              field="quantities")
        lines = _desk_quantities(lines, quantities)
    return lines


def quantities_editable(voucher: Voucher) -> bool:
    """Whether the officer may change the pieces presented at step 3: every kind but a
    validation (it clears the whole general list), and not at the exit of a pre-exported
    exportation (its goods are those of the pre-exportation)."""
    return "quantities" in KIND_FIELDS[voucher.kind] and voucher.state != "pre_exported"


def declared_goods(session: Session, voucher: Voucher) -> list[tuple[int, int]] | None:
    """What the voucher clears as declared, [(item_no, pieces)] in item order, as the commit
    takes it (`_voucher_lines`) without loading the items: None for a validation (the whole
    general list); at the exit of a pre-exported exportation, its pre-exportation's goods;
    else the travel's."""
    if voucher.kind == "validation":
        return None
    if voucher.state == "pre_exported":
        pre = session.scalar(select(Transaction.id).where(
            Transaction.voucher_id == voucher.id, Transaction.kind == "pre_export",
            Transaction.state == "committed").order_by(Transaction.id.desc()).limit(1))
        if pre is not None:
            return [tuple(r) for r in session.execute(
                select(TransactionItem.item_no, TransactionItem.quantity).where(
                    TransactionItem.transaction_id == pre, TransactionItem.line == "cleared")
                .order_by(TransactionItem.item_no))]
    return [tuple(r) for r in session.execute(
        select(TravelItem.item_no, TravelItem.quantity).where(
            TravelItem.travel_id == voucher.travel_id).order_by(TravelItem.item_no))]


def committed_by_token(session: Session, commit_token: str) -> int | None:
    """The id of the transaction that a wizard's one-time commit token (or an API's
    Idempotency-Key) committed, if it did (the last one of an export + exit pair)."""
    return session.scalar(select(Transaction.id).where(
        Transaction.commit_token_hash == _token_hash(commit_token)))


def check_presented(session: Session, voucher_id: int, officer: Officer,
                    quantities: dict | None) -> list[tuple[int, int]]:
    """Step 3's quantities checked before step 4, by the commit's own rules (the quantities a
    kind allows, at most the declared pieces, at least one piece, none at the exit of a
    pre-exportation, R-06 against the committed balances) — read-only, without locks: the
    commit checks them again under its locks. Quantities given where they cannot change (a
    validation, the exit of a pre-exportation: `quantities_editable`) are refused. Returns the
    goods the commit would clear, [(item_no, pieces)]; refuses with a DomainError otherwise."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("No such voucher.")
    _check_voucher_state(voucher, None)
    if quantities is not None and not quantities_editable(voucher):
        raise Conflict("The pieces presented can no longer be changed for this voucher: it "
                       "clears the goods listed below. Check them and commit again.",
                       field="quantities", code="pieces_fixed")
    carnet = session.get(Carnet, voucher.carnet_id)
    if quantities is not None:
        _check_fields(voucher.kind, {"quantities": quantities})
    place = place_of(session, officer)
    lines = _presented_lines(session, carnet, voucher, quantities)
    check_quantities(session, carnet, voucher.kind, place.territory_id,
                     "the EU" if place.is_eu else place.country_name, lines)
    return [(item.item_no, qty) for item, qty in lines]


def _item_lines(session: Session, carnet: Carnet, value, field_name: str
                ) -> list[tuple[GoodsItem, int]]:
    """{item_no: quantity} → [(item, quantity)], each within the item's pieces."""
    by_no = {i.item_no: i for i in carnet.items}
    out = []
    for no, qty in sorted((value or {}).items(), key=lambda kv: int(kv[0])):
        item = by_no.get(int(no))
        if item is None:
            raise DomainError(f"Item {no} is not on the general list.", field=field_name)
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0 or qty > item.pieces:
            raise DomainError(f"Item {no}: give between 0 and {item.pieces} piece(s).",
                              field=field_name)
        if qty:
            out.append((item, qty))
    return out


def _voucher_lines(session: Session, carnet: Carnet, voucher: Voucher
                   ) -> list[tuple[GoodsItem, int]]:
    """The goods a voucher clears: the whole general list for a validation; at the exit of a
    pre-exported exportation, the goods of its pre-exportation (which the officer may have
    changed at the desk); the travel's declared items otherwise."""
    if voucher.kind == "validation":
        return [(item, item.pieces) for item in carnet.items]
    by_id = {i.id: i for i in carnet.items}
    if voucher.state == "pre_exported":
        pre = session.scalar(select(Transaction.id).where(
            Transaction.voucher_id == voucher.id, Transaction.kind == "pre_export",
            Transaction.state == "committed").order_by(Transaction.id.desc()).limit(1))
        if pre is not None:
            return [(by_id[g], q) for g, q in session.execute(
                select(TransactionItem.goods_item_id, TransactionItem.quantity).where(
                    TransactionItem.transaction_id == pre, TransactionItem.line == "cleared")
                .order_by(TransactionItem.item_no))]
    travel = session.get(Travel, voucher.travel_id)
    return [(by_id[ti.goods_item_id], ti.quantity) for ti in travel.items]


def _check_voucher_state(voucher: Voucher, step: str | None) -> None:
    if voucher.state == "void":
        raise DomainError("This transaction code is no longer valid: the holder changed or "
                          "deleted the travel. Ask for the current code.", code="voucher_void")
    if voucher.state == "used":
        when = voucher.used_at.strftime("%d/%m/%Y %H:%M") if voucher.used_at else ""
        raise Conflict(f"This voucher was already committed ({when} UTC): a voucher is "
                       f"committed once.", code="already_committed")
    if voucher.state == "pre_exported" and step == "export":
        raise Conflict("This exportation is already pre-exported: commit the exit when the "
                       "goods leave the EU.", code="already_pre_exported")


def commit_voucher(session: Session, voucher_id: int, officer: Officer, *,
                   fields: dict | None = None, step: str | None = None,
                   commit_token: str | None = None, today: dt.date | None = None,
                   now: dt.datetime | None = None) -> CommitResult:
    """Commit a voucher (F-41, F-42). `step` is 'export' or 'exit' for an exportation at an EU
    office (F-42): 'export' stores a pre-exportation, 'exit' the exportation — and the
    pre-exportation too when none was made (the office of export is also the office of exit);
    no step at an EU office means 'exit'. `commit_token` is the wizard's one-time token or the
    API's Idempotency-Key: a replay returns the first result (R-11)."""
    now = now or now_utc()
    today = today or now.date()
    fields = dict(fields or {})
    place = place_of(session, officer)
    token_hash = _token_hash(commit_token) if commit_token else None

    carnet, voucher, ctx = _lock_with_context(session, voucher_id, (place, token_hash))
    if ctx["replay_id"] is not None:
        first = session.get(Transaction, ctx["replay_id"])
        if first is not None:
            if first.voucher_id != voucher.id:
                raise Conflict("This commit token was already used for another voucher.",
                               code="token_reused")
            ids = tuple(session.scalars(select(Transaction.id).where(
                Transaction.voucher_id == voucher.id, Transaction.committed_at == first.committed_at,
                Transaction.state == "committed").order_by(Transaction.id)))
            return _result(first, ids or (first.id,), replayed=True)

    kind = voucher.kind
    if step is not None and step not in EXPORT_STEPS:
        raise DomainError("Choose Export or Exit.", field="step")
    if step is not None and not (kind == "export" and place.is_eu):
        raise DomainError("The Export and Exit steps exist only for an exportation at an EU "
                          "office.", field="step")
    if kind == "export" and place.is_eu and step is None:
        step = "exit"
    _check_voucher_state(voucher, step)
    _check_fields(kind, fields)

    # the rules, against the locked state (R-01 … R-08)
    check_status(carnet, kind, today)
    check_activation(carnet, kind)
    check_place(session, carnet, kind, voucher.country_code, place,
                in_box_p=bool(ctx["in_box_p"]))
    check_hold(session.get(Hold, ctx["hold_id"]) if ctx["hold_id"] is not None else None)
    lines = _presented_lines(session, carnet, voucher, fields.get("quantities"))
    territory_label = ("the EU" if place.is_eu else place.country_name)
    kinds = (["pre_export"] if step == "export" else
             ["pre_export", "export"] if step == "exit" and voucher.state == "open" else
             [kind])
    check_quantities(session, carnet, kind, place.territory_id, territory_label, lines)

    goods_examined = None
    if kind == "validation":
        goods_examined = fields.get("goods_examined")
        if not isinstance(goods_examined, bool):
            raise DomainError("Say whether the goods were examined (yes or no).",
                              field="goods_examined")
    final_date = None
    if "final_date" in KIND_FIELDS[kind]:
        final_date = _parse_date(fields.get("final_date"), "final_date") or carnet.valid_until
        check_final_date(session, carnet, kind, final_date, today)
    extra_lines = []
    if kind == "reimport":
        for name, line in (("not_reimported", "not_reimported"),
                           ("processed_abroad", "processed_abroad")):
            extra_lines += [(item, qty, line) for item, qty in
                            _item_lines(session, carnet, fields.get(name), name)]
    text = {k: str(fields.get(k) or "").strip() for k in
            ("reference", "remarks", "customs_seals", "action_not_reexported",
             "action_not_produced")}
    if len(text["reference"]) > 100 or len(text["customs_seals"]) > 300:
        raise DomainError("The reference number or seals are too long.", field="reference")

    # store: every row through one Batch — on PostgreSQL a single pipelined round trip
    writes = batch.Batch(session)
    txn_table = Transaction.__table__
    codes, txn_rows = [], []
    for i, k in enumerate(kinds):
        verification = new_typable_code(CODE_LENGTH)
        cancellation = new_typable_code(CODE_LENGTH)
        v_hash = keyed_hash("verification:" + verification)
        c_hash = keyed_hash("cancellation:" + cancellation)
        codes.append((verification, cancellation))
        txn_rows.append(dict(
            voucher_id=voucher.id, carnet_id=carnet.id, kind=k, state="committed",
            territory_id=place.territory_id, country_code=place.country_code,
            customs_id=place.customs_id, office_id=place.office_id,
            account_id=place.account_id, officer_name=place.officer_name,
            office_name=place.office_name, committed_at=now, goods_examined=goods_examined,
            final_date=final_date, reference=text["reference"], remarks=text["remarks"],
            customs_seals=text["customs_seals"] if kind == "transit_open" else "",
            action_not_reexported=text["action_not_reexported"],
            action_not_produced=text["action_not_produced"],
            signed_name=ctx["signed_name"] or "", signed_at=ctx["signed_at"],
            verification_code_hash=v_hash,
            verification_code_enc=crypto.encrypt(verification, _aad(v_hash, "verification")),
            cancellation_code_hash=c_hash,
            cancellation_code_enc=crypto.encrypt(cancellation, _aad(c_hash, "cancellation")),
            commit_token_hash=token_hash if i == len(kinds) - 1 else None,
        ))
    # the transactions, one per kind in order (ids ascend as the ORM flush would number them)
    if writes.pg:
        txn_ids = [ctx["txn_id"], *writes.next_ids(txn_table, len(kinds) - 1)]
        writes.insert(txn_table, [{"id": tid, **row} for tid, row in zip(txn_ids, txn_rows, strict=True)])
    else:
        txn_ids = [writes.insert_returning(txn_table, row) for row in txn_rows]
    stored = [(tid, k, v, c) for tid, k, (v, c) in zip(txn_ids, kinds, codes, strict=True)]
    # the item lines
    item_rows = []
    for txn_id, k, _, _ in stored:
        item_rows += [{"transaction_id": txn_id, "goods_item_id": item.id,
                       "item_no": item.item_no, "quantity": qty, "line": "cleared"}
                      for item, qty in lines]
        if k == "reimport":
            item_rows += [{"transaction_id": txn_id, "goods_item_id": item.id,
                           "item_no": item.item_no, "quantity": qty, "line": line}
                          for item, qty, line in extra_lines]
    writes.insert(TransactionItem.__table__, item_rows)

    # the voucher and the carnet rows (locked above); the new values are then set on the
    # loaded objects as their committed state
    voucher_values = {"state": "pre_exported" if kinds == ["pre_export"] else "used",
                      "used_at": now}
    carnet_values = {"updated_at": now}
    if kind == "validation":
        carnet_values.update(status="active", activated_at=now)  # as carnets.mark_activated
    writes.update(Voucher.__table__, voucher.id, voucher_values)
    writes.update(Carnet.__table__, carnet.id, carnet_values)
    last_id, last_kind, verification, cancellation = stored[-1]
    audit.queue(writes, "transaction.committed", actor_type="account",
                actor_id=place.account_id, actor_label=officer.account.email,
                customs_id=place.customs_id, ip=officer.ip, object_type="carnet",
                object_id=carnet.eata_id,
                data={"transactions": [t[0] for t in stored], "kinds": kinds,
                      "voucher_id": voucher.id, "office": place.office_name,
                      "country": place.country_code,
                      "items": {str(item.item_no): qty for item, qty in lines},
                      "final_date": final_date.isoformat() if final_date else None})
    _notify(session, carnet, "committed", voucher=voucher, transaction_id=last_id,
            title=f"{label(last_kind).capitalize()} committed",
            body=(f"The {label(last_kind)} of carnet {carnet.carnet_number} was committed at "
                  f"{place.office_name} ({place.country_name}) on "
                  f"{now.strftime('%d/%m/%Y %H:%M')} UTC"
                  + (f"; {FINAL_DATE_LABELS[kind]}: {fmt_date(final_date)}" if final_date
                     and kind in FINAL_DATE_LABELS else "")
                  + ". Open your wallet to check the officer's verification code."),
            email=True, writes=writes,
            holders=(ctx["holders"] or []) if writes.pg else None)
    writes.run()
    for obj, values in ((voucher, voucher_values), (carnet, carnet_values)):
        for key, value in values.items():
            set_committed_value(obj, key, value)
    return CommitResult(last_id, last_kind, verification, cancellation,
                        transaction_ids=tuple(t[0] for t in stored))


# --- notifications --------------------------------------------------------------------------

def _notify(session: Session, carnet: Carnet, kind: str, *, title: str, body: str,
            voucher: Voucher | None = None, transaction: Transaction | None = None,
            transaction_id: int | None = None, email: bool = False,
            writes: batch.Batch | None = None, holders: list | None = None) -> None:
    """A notification for every holder who has the carnet in their wallet, with its outbox
    signal, and an email receipt when asked — the same rows outbox.add_holder_notification /
    outbox.add_email would store, written through `writes` (or at once). `holders`: rows of
    (id, email, given_names, surname, notification id) when the caller read them already."""
    own = writes is None
    writes = writes or batch.Batch(session)
    note_table = HolderNotification.__table__
    if holders is None:
        holders = writes.conn.execute(_statement("holders_pg" if writes.pg else "holders"),
                                      {"carnet_id": carnet.id}).all()
    notes, messages = [], []
    for holder_id, address, given_names, surname, *pre in holders:
        note = {"holder_id": holder_id, "carnet_id": carnet.id,
                "voucher_id": voucher.id if voucher else None,
                "transaction_id": transaction.id if transaction else transaction_id,
                "kind": kind, "title": title, "body": body}
        if writes.pg:
            note_id = pre[0]
            notes.append({"id": note_id, **note})
        else:
            note_id = writes.insert_returning(note_table, note)
        at = now_utc()
        messages.append({"kind": "holder_notification", "recipient": address,
                         "customs_id": None, "subject": "", "body": "", "status": "pending",
                         "payload": {"holder_id": holder_id, "notification_id": note_id},
                         "next_attempt_at": at})
        if email:
            name = " ".join(p for p in (given_names, surname) if p).strip()
            messages.append({"kind": "email", "recipient": address, "customs_id": None,
                             "subject": f"eATA: {title} — carnet {carnet.carnet_number}",
                             "body": f"Hello {name},\n\n{body}\n\neATA\n",
                             "status": "pending", "next_attempt_at": at,
                             "payload": {"transaction_id": note["transaction_id"]}})
    writes.insert(note_table, notes)
    writes.insert(OutboxMessage.__table__, messages)
    if own:
        writes.run()


# --- rejection (F-44a) ------------------------------------------------------------------------

def reject_voucher(session: Session, voucher_id: int, officer: Officer, reason: str, *,
                   now: dt.datetime | None = None) -> Rejection:
    """Reject the declaration: nothing committed, the voucher stays usable; the reason is
    visible to this territory only; the holder is told it was rejected (not why)."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the rejection.", field="reason")
    place = place_of(session, officer)
    carnet, voucher = _lock(session, voucher_id)
    _check_voucher_state(voucher, None)
    if voucher.territory_id is not None and voucher.territory_id != place.territory_id:
        raise DomainError(f"This voucher is for the {label(voucher.kind)} in another customs "
                          f"territory: it cannot be rejected in {place.country_name}.",
                          code="wrong_place")
    rejection = Rejection(voucher_id=voucher.id, carnet_id=carnet.id,
                          territory_id=place.territory_id, customs_id=place.customs_id,
                          office_id=place.office_id, account_id=place.account_id,
                          officer_name=place.officer_name, office_name=place.office_name,
                          reason=reason[:1000], at=now)
    session.add(rejection)
    audit.record(session, "transaction.rejected", actor_type="account",
                 actor_id=place.account_id, actor_label=officer.account.email,
                 customs_id=place.customs_id, ip=officer.ip, object_type="carnet",
                 object_id=carnet.eata_id,
                 data={"voucher_id": voucher.id, "kind": voucher.kind, "reason": reason[:1000],
                       "office": place.office_name})
    _notify(session, carnet, "rejected", voucher=voucher,
            title=f"{label(voucher.kind).capitalize()} rejected",
            body=(f"Customs at {place.office_name} ({place.country_name}) rejected the "
                  f"{label(voucher.kind)} of carnet {carnet.carnet_number} on "
                  f"{now.strftime('%d/%m/%Y %H:%M')} UTC. Nothing was committed; ask the "
                  f"officer what to correct."), email=True)
    session.flush()
    return rejection


def rejections_for(session: Session, carnet_id: int, territory_id: int) -> list[Rejection]:
    return list(session.scalars(select(Rejection).where(
        Rejection.carnet_id == carnet_id, Rejection.territory_id == territory_id)
        .order_by(Rejection.at.desc())))


# --- cancellation (F-44, R-05) ----------------------------------------------------------------

def cancel_transaction(session: Session, transaction_id: int, officer: Officer,
                       cancellation_code: str, reason: str, *, client_key: str | None = None,
                       now: dt.datetime | None = None) -> Cancellation:
    """Cancel a committed transaction of the officer's territory with the holder's
    cancellation code and a reason. Recorded, never deleted; the voucher can be transacted
    again and the quantities come back exactly (they are sums of committed transactions)."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the cancellation.", field="reason")
    place = place_of(session, officer)
    txn = session.get(Transaction, transaction_id)
    if txn is None:
        raise NotFound("No such transaction.")
    if txn.territory_id != place.territory_id:
        raise PermissionDenied("This transaction was committed in another customs territory: "
                               "only an officer of that territory can cancel it.")
    client = client_key or f"account:{place.account_id}"
    subjects = [f"transaction:{txn.id}", f"client:{client}"]
    check_not_locked(session, subjects, now)
    if not same(keyed_hash("cancellation:" + normalize_code(cancellation_code)),
                txn.cancellation_code_hash):
        failed_guess(session, "transaction.cancel_code_failed", subjects, now=now,
                     data={"transaction_id": transaction_id}, actor_type="account",
                     actor_id=place.account_id, actor_label=officer.account.email,
                     customs_id=place.customs_id, ip=officer.ip, object_type="transaction",
                     object_id=txn.id)
        raise DomainError("This cancellation code is not the holder's code for this "
                          "transaction.", field="cancellation_code", code="wrong_code")
    carnet = _lock_carnet(session, txn.carnet_id)
    _, voucher = _lock(session, txn.voucher_id)
    session.refresh(txn)
    if txn.state == "cancelled":
        raise Conflict("This transaction has already been cancelled.", code="already_cancelled")
    territory_label = "the EU" if place.is_eu else place.country_name
    if txn.kind == "pre_export":
        later = session.scalar(select(Transaction.id).where(
            Transaction.voucher_id == txn.voucher_id, Transaction.kind == "export",
            Transaction.state == "committed"))
        if later is not None:
            raise Conflict("Cancel the exit (exportation) first: this pre-exportation belongs "
                           "to it.", code="cancel_order")
    if txn.kind == "validation":
        later = session.scalar(select(Transaction.id).where(
            Transaction.carnet_id == txn.carnet_id, Transaction.kind != "validation",
            Transaction.state == "committed").limit(1))
        if later is not None:
            raise Conflict("This validation cannot be cancelled: later transactions of the "
                           "carnet depend on it. Cancel them first.", code="cancel_order")
    check_balances_after_cancel(session, txn, territory_label)

    txn.state = "cancelled"
    record = Cancellation(transaction_id=txn.id, territory_id=place.territory_id,
                          customs_id=place.customs_id, office_id=place.office_id,
                          account_id=place.account_id, officer_name=place.officer_name,
                          office_name=place.office_name, reason=reason[:1000], at=now)
    session.add(record)
    # the voucher can be transacted again: back to where it was before this transaction
    if txn.kind == "export":
        pre = session.scalar(select(Transaction.id).where(
            Transaction.voucher_id == voucher.id, Transaction.kind == "pre_export",
            Transaction.state == "committed"))
        voucher.state = "pre_exported" if pre is not None else "open"
    else:
        voucher.state = "open"
    if voucher.state == "open":
        voucher.used_at = None
    if txn.kind == "validation":
        carnet.status = "issued" if carnet.status == "active" else carnet.status
        carnet.activated_at = None
    carnet.updated_at = now
    audit.record(session, "transaction.cancelled", actor_type="account",
                 actor_id=place.account_id, actor_label=officer.account.email,
                 customs_id=place.customs_id, ip=officer.ip, object_type="carnet",
                 object_id=carnet.eata_id,
                 data={"transaction_id": txn.id, "kind": txn.kind, "reason": reason[:1000],
                       "office": place.office_name, "voucher_state": voucher.state})
    _notify(session, carnet, "cancelled", voucher=voucher, transaction=txn,
            title=f"{label(txn.kind).capitalize()} cancelled",
            body=(f"The {label(txn.kind)} of carnet {carnet.carnet_number} committed on "
                  f"{txn.committed_at.strftime('%d/%m/%Y %H:%M')} UTC was cancelled at "
                  f"{place.office_name}. Its voucher can be used again."), email=True)
    session.flush()
    return record


def check_verification_code(session: Session, holder: Holder, transaction_id: int, code: str,
                            *, now: dt.datetime | None = None) -> bool:
    """The holder checks the officer's verification code (typed or scanned) against the commit
    (F-34); wrong guesses are counted (R-10)."""
    now = now or now_utc()
    txn = session.get(Transaction, transaction_id)
    if txn is None or session.scalar(select(WalletCarnet.id).where(
            WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == txn.carnet_id)) is None:
        raise NotFound("No such transaction.")
    subjects = [f"holder:{holder.id}"]
    check_not_locked(session, subjects, now)
    if same(keyed_hash("verification:" + normalize_code(code)), txn.verification_code_hash):
        return txn.state == "committed"
    failed_guess(session, "transaction.verification_failed", subjects, now=now,
                 data={"transaction_id": txn.id}, actor_type="holder", actor_id=holder.id,
                 actor_label=holder.email, object_type="carnet", object_id=txn.carnet_id)
    return False


# --- holds (F-46, R-03) -----------------------------------------------------------------------

def hold_carnet(session: Session, voucher_id: int, officer: Officer, reason: str, *,
                now: dt.datetime | None = None) -> Hold:
    """Hold the transaction: the carnet is blocked for every transaction in this customs
    territory until an officer of the same office releases it."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for holding the carnet.", field="reason")
    place = place_of(session, officer)
    carnet, voucher = _lock(session, voucher_id)
    _check_voucher_state(voucher, None)
    check_holds(session, carnet, place)
    hold = Hold(carnet_id=carnet.id, voucher_id=voucher.id, territory_id=place.territory_id,
                customs_id=place.customs_id, office_id=place.office_id,
                account_id=place.account_id, held_by=place.officer_name,
                office_name=place.office_name, reason=reason[:1000], held_at=now)
    session.add(hold)
    audit.record(session, "carnet.held", actor_type="account", actor_id=place.account_id,
                 actor_label=officer.account.email, customs_id=place.customs_id, ip=officer.ip,
                 object_type="carnet", object_id=carnet.eata_id,
                 data={"voucher_id": voucher.id, "kind": voucher.kind, "reason": reason[:1000],
                       "office": place.office_name})
    session.flush()
    return hold


def release_hold(session: Session, hold_id: int, officer: Officer, *,
                 now: dt.datetime | None = None) -> Hold:
    now = now or now_utc()
    place = place_of(session, officer)
    hold = session.get(Hold, hold_id)
    if hold is None or hold.territory_id != place.territory_id:
        raise NotFound("No such hold.")
    _lock_carnet(session, hold.carnet_id)
    session.refresh(hold)
    if hold.released_at is not None:
        raise Conflict(f"This hold was already released on "
                       f"{hold.released_at.strftime('%d/%m/%Y %H:%M')} by {hold.released_by}.",
                       code="already_released")
    if hold.office_id != place.office_id:
        raise PermissionDenied(f"Only an officer of {hold.office_name}, where the carnet was "
                               f"held, can release it.")
    hold.released_at = now
    hold.released_by_account_id = place.account_id
    hold.released_by = place.officer_name
    carnet = session.get(Carnet, hold.carnet_id)
    audit.record(session, "carnet.released", actor_type="account", actor_id=place.account_id,
                 actor_label=officer.account.email, customs_id=place.customs_id, ip=officer.ip,
                 object_type="carnet", object_id=carnet.eata_id,
                 data={"hold_id": hold.id, "office": place.office_name})
    session.flush()
    return hold


def holds_of(session: Session, *, territory_id: int | None = None, office_id: int | None = None,
             active: bool = True) -> list[Hold]:
    """The "On hold" list of an office or a territory, newest first."""
    cond = []
    if territory_id is not None:
        cond.append(Hold.territory_id == territory_id)
    if office_id is not None:
        cond.append(Hold.office_id == office_id)
    if active:
        cond.append(Hold.released_at.is_(None))
    return list(session.scalars(select(Hold).where(*cond).order_by(Hold.held_at.desc())))


def last_commits(session: Session, office_id: int, limit: int = 20) -> list[Transaction]:
    """F-45: the office's latest commits, newest first."""
    return list(session.scalars(select(Transaction).where(Transaction.office_id == office_id)
                                .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
                                .limit(limit)))


# --- identification marks at the desk (F-40 step 3) ------------------------------------------

MAX_MARKS = 200


def mark_goods(session: Session, voucher_id: int, officer: Officer, marks: dict[int, str], *,
               now: dt.datetime | None = None) -> list[int]:
    """The officer puts identification marks on goods of the voucher being processed ("Check
    goods and put identification marks if required"). Only items this voucher clears; a blank
    mark leaves the item as it was. Returns the item numbers changed."""
    from portal.domain.carnets import _item_aad, item_marks

    now = now or now_utc()
    place = place_of(session, officer)
    carnet, voucher = _lock(session, voucher_id)
    _check_voucher_state(voucher, None)
    allowed = {item.item_no: item for item, _ in _voucher_lines(session, carnet, voucher)}
    changed = []
    for no, text in sorted(marks.items()):
        text = (text or "").strip()
        if not text:
            continue
        item = allowed.get(int(no))
        if item is None:
            raise DomainError(f"Item {no} is not among the goods of this voucher.",
                              field=f"marks_{no}")
        if len(text) > MAX_MARKS:
            raise DomainError(f"Item {no}: at most {MAX_MARKS} characters.", field=f"marks_{no}")
        if text == (item_marks(carnet, item) or ""):
            continue
        item.marks_enc = crypto.encrypt(text, _item_aad(carnet.eata_id, item.item_no, "marks"))
        changed.append(item.item_no)
    if changed:
        carnet.updated_at = now
        audit.record(session, "carnet.goods_marked", actor_type="account",
                     actor_id=place.account_id, actor_label=officer.account.email,
                     customs_id=place.customs_id, ip=officer.ip, object_type="carnet",
                     object_id=carnet.eata_id,
                     data={"voucher_id": voucher.id, "items": changed,
                           "office": place.office_name})
    session.flush()
    return changed


__all__ = [
    "Officer", "CommitResult", "commit_voucher", "reject_voucher", "cancel_transaction",
    "hold_carnet", "release_hold", "holds_of", "last_commits", "rejections_for",
    "check_verification_code", "cancellation_code_of", "verification_code_of", "place_of",
    "TooManyGuesses", "mark_goods", "quantities_editable", "declared_goods", "check_presented",
    "committed_by_token",
]
