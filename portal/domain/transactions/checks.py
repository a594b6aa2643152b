"""What a commit checks besides the rules of portal/domain/rules.py: the voucher's state, the
fields a kind of transaction takes (the Customs User Guide's step 4, F-41), the goods a voucher
clears and the officer's quick change of the pieces presented (step 3), and the checks of
step 3 made before the commit (`check_presented`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import Conflict, DomainError, NotFound
from portal.domain.rules import check_quantities, country_name, label
from portal.domain.transactions.place import Officer, place_of
from portal.models import (
    Carnet,
    GoodsItem,
    Transaction,
    TransactionItem,
    Travel,
    TravelItem,
    Voucher,
)

COMMON_FIELDS = {"reference", "remarks"}
# the commit fields of each kind, exactly as the Customs User Guide's step 4 (F-41)
KIND_FIELDS = {
    "validation": {"goods_examined"},
    "export": {"final_date", "quantities"},
    "import": {"final_date", "quantities"},
    "reexport": {"action_not_reexported", "action_not_produced", "not_reexported", "quantities"},
    "reimport": {"not_reimported", "processed_abroad", "quantities"},
    "transit_open": {"final_date", "customs_seals", "quantities"},
    "transit_close": {"quantities"},
}
FIELD_LABELS = {
    "goods_examined": _l("goods examined"),
    "final_date": _l("final date"),
    "action_not_reexported": _l("action taken for goods produced but not re-exported"),
    "action_not_produced": _l("action taken for goods not produced"),
    "not_reimported": _l("goods not re-imported"),
    "not_reexported": _l("goods not re-exported (home use)"),
    "processed_abroad": _l("goods processed abroad"),
    "customs_seals": _l("customs seals"),
    "reference": _l("customs reference number"),
    "remarks": _l("customs remarks"),
    "quantities": _l("quantities presented"),
}
EXPORT_STEPS = ("export", "exit")

Lines = list[tuple[GoodsItem, int]]


def check_voucher_state(voucher: Voucher, step: str | None) -> None:
    if voucher.state == "void":
        raise DomainError(
            _(
                "This transaction code is no longer valid: the holder changed or deleted the travel. Ask for the current code."
            ),
            code="voucher_void",
        )
    if voucher.state == "used":
        when = voucher.used_at.strftime("%d/%m/%Y %H:%M") if voucher.used_at else ""
        raise Conflict(
            _(
                "This voucher was already committed (%(when)s UTC): a voucher is committed once.",
                when=when,
            ),
            code="already_committed",
        )
    if voucher.state == "pre_exported" and step == "export":
        raise Conflict(
            _(
                "This exportation is already pre-exported: commit the exit when the goods leave the EU."
            ),
            code="already_pre_exported",
        )


def check_fields(kind: str, fields: dict) -> None:
    allowed = KIND_FIELDS[kind] | COMMON_FIELDS
    for name in fields:
        if name not in allowed:
            what = FIELD_LABELS.get(name, name)
            raise DomainError(
                _(
                    "The field “%(what)s” does not apply to a %(kind)s.",
                    what=what,
                    kind=label(kind),
                ),
                field=name,
                code="field_not_applicable",
            )


def parse_date(value: Any, field_name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_("Give the date as dd/mm/yyyy."), field=field_name) from None


def item_lines(carnet: Carnet, value: Any, field_name: str) -> Lines:
    """{item_no: quantity} → [(item, quantity)], each within the item's pieces."""
    by_no = {i.item_no: i for i in carnet.items}
    out = []
    for no, qty in sorted((value or {}).items(), key=lambda kv: int(kv[0])):
        item = by_no.get(int(no))
        if item is None:
            raise DomainError(_("Item %(no)s is not on the general list.", no=no), field=field_name)
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0 or qty > item.pieces:
            raise DomainError(
                _(
                    "Item %(no)s: give between 0 and %(pieces)s piece(s).",
                    no=no,
                    pieces=item.pieces,
                ),
                field=field_name,
            )
        if qty:
            out.append((item, qty))
    return out


def _pre_export_of(session: Session, voucher: Voucher) -> int | None:
    """The committed pre-exportation of a pre-exported exportation's voucher."""
    return session.scalar(
        select(Transaction.id)
        .where(
            Transaction.voucher_id == voucher.id,
            Transaction.kind == "pre_export",
            Transaction.state == "committed",
        )
        .order_by(Transaction.id.desc())
        .limit(1)
    )


def voucher_lines(session: Session, carnet: Carnet, voucher: Voucher) -> Lines:
    """The goods a voucher clears: the whole general list for a validation; at the exit of a
    pre-exported exportation, the goods of its pre-exportation (which the officer may have
    changed at the desk); the travel's declared items otherwise."""
    if voucher.kind == "validation":
        return [(item, item.pieces) for item in carnet.items]
    by_id = {i.id: i for i in carnet.items}
    if voucher.state == "pre_exported":
        pre = _pre_export_of(session, voucher)
        if pre is not None:
            return [
                (by_id[g], q)
                for g, q in session.execute(
                    select(TransactionItem.goods_item_id, TransactionItem.quantity)
                    .where(TransactionItem.transaction_id == pre, TransactionItem.line == "cleared")
                    .order_by(TransactionItem.item_no)
                )
            ]
    travel = session.get(Travel, voucher.travel_id)
    assert travel is not None  # the voucher's foreign key
    return [(by_id[ti.goods_item_id], ti.quantity) for ti in travel.items]


def desk_quantities(declared: Lines, value: Any) -> Lines:
    """The officer's quick change of the quantities at step 3 (the Customs User Guide: "other
    fields might be already populated by the holder … the officer can apply quick changes"):
    {item_no: pieces presented} for items of the holder's declaration, each at most the
    declared quantity (the holder signed for no more); items not named keep the declared
    quantity; at least one piece in all. The rules (R-06) then check these quantities.
    A refusal about one item names it (`DomainError.item`)."""
    if not isinstance(value, dict):
        raise DomainError(_("Give the quantities per item."), field="quantities")
    by_no = {item.item_no: (item, qty) for item, qty in declared}
    out = {no: qty for no, (_, qty) in by_no.items()}
    seen = set()
    for key, qty in value.items():
        no: int | None
        try:
            no = int(key)
        except (TypeError, ValueError):
            no = None
        if no is None or no not in by_no:
            raise DomainError(
                _("Item %(key)s is not declared for this transaction.", key=key),
                field="quantities",
                item=no,
            )
        if no in seen:
            raise DomainError(_("Item %(no)s is given twice.", no=no), field="quantities", item=no)
        seen.add(no)
        limit = by_no[no][1]
        if not isinstance(qty, int) or isinstance(qty, bool) or not 0 <= qty <= limit:
            raise DomainError(
                _(
                    "Item %(no)s: give between 0 and the %(limit)s piece(s) declared.",
                    no=no,
                    limit=limit,
                ),
                field="quantities",
                item=no,
            )
        out[no] = qty
    lines = [(by_no[no][0], qty) for no, qty in sorted(out.items()) if qty]
    if not lines:
        raise DomainError(
            _(
                "At least one item must be presented: to clear nothing, reject the declaration instead."
            ),
            field="quantities",
        )
    return lines


def presented_lines(session: Session, carnet: Carnet, voucher: Voucher, quantities: Any) -> Lines:
    """The goods the commit clears: the voucher's (`voucher_lines`), with the officer's
    quantities when given (`quantities` None: as declared)."""
    lines = voucher_lines(session, carnet, voucher)
    if quantities is not None:
        if voucher.state == "pre_exported":
            raise DomainError(
                _(
                    "The goods of a pre-exported exportation are those of its pre-exportation: the quantities cannot change at the exit."
                ),
                field="quantities",
            )
        lines = desk_quantities(lines, quantities)
    return lines


def quantities_editable(voucher: Voucher) -> bool:
    """Whether the officer may change the pieces presented at step 3: every kind but a
    validation (it clears the whole general list), and not at the exit of a pre-exported
    exportation (its goods are those of the pre-exportation)."""
    return "quantities" in KIND_FIELDS[voucher.kind] and voucher.state != "pre_exported"


def declared_goods(session: Session, voucher: Voucher) -> list[tuple[int, int]] | None:
    """What the voucher clears as declared, [(item_no, pieces)] in item order, as the commit
    takes it (`voucher_lines`) without loading the items: None for a validation (the whole
    general list); at the exit of a pre-exported exportation, its pre-exportation's goods;
    else the travel's."""
    if voucher.kind == "validation":
        return None
    if voucher.state == "pre_exported":
        pre = _pre_export_of(session, voucher)
        if pre is not None:
            return [
                (r[0], r[1])
                for r in session.execute(
                    select(TransactionItem.item_no, TransactionItem.quantity)
                    .where(TransactionItem.transaction_id == pre, TransactionItem.line == "cleared")
                    .order_by(TransactionItem.item_no)
                )
            ]
    return [
        (r[0], r[1])
        for r in session.execute(
            select(TravelItem.item_no, TravelItem.quantity)
            .where(TravelItem.travel_id == voucher.travel_id)
            .order_by(TravelItem.item_no)
        )
    ]


def check_presented(
    session: Session, voucher_id: int, officer: Officer, quantities: dict | None
) -> list[tuple[int, int]]:
    """Step 3's quantities checked before step 4, by the commit's own rules (the quantities a
    kind allows, at most the declared pieces, at least one piece, none at the exit of a
    pre-exportation, R-06 against the committed balances) — read-only, without locks: the
    commit checks them again under its locks. Quantities given where they cannot change (a
    validation, the exit of a pre-exportation: `quantities_editable`) are refused. Returns the
    goods the commit would clear, [(item_no, pieces)]; refuses with a DomainError otherwise."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound(_("No such voucher."))
    check_voucher_state(voucher, None)
    if quantities is not None and not quantities_editable(voucher):
        raise Conflict(
            _(
                "The pieces presented can no longer be changed for this voucher: it clears the goods listed below. Check them and commit again."
            ),
            field="quantities",
            code="pieces_fixed",
        )
    carnet = session.get(Carnet, voucher.carnet_id)
    assert carnet is not None  # the voucher's foreign key
    if quantities is not None:
        check_fields(voucher.kind, {"quantities": quantities})
    place = place_of(session, officer)
    lines = presented_lines(session, carnet, voucher, quantities)
    check_quantities(
        session,
        carnet,
        voucher.kind,
        place.territory_id,
        _("the EU") if place.is_eu else country_name(session, place.country_code),
        lines,
    )
    return [(item.item_no, qty) for item, qty in lines]
