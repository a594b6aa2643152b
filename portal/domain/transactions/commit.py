"""`commit_voucher` (F-41, F-42, R-01 … R-08, R-11): the one function every caller uses to
commit a voucher (wizard, customs API, jobs). It runs in five phases:

1. **load and lock** (`locking.lock`, `locking.commit_context`): the carnet and voucher rows
   locked, then the commit's context read in one statement — the transaction already stored
   under this commit token, the active hold, Box P, the holder's signature, ids to write with;
2. **replay** (`_replay`): a commit token used before answers the first result (R-11);
3. **checks** (`_check_rules`, `_check_entries`): the voucher's state, the fields its kind
   takes, every rule of portal/domain/rules.py against the locked state, then what the
   officer entered for this kind (goods examined, final date, goods not re-imported…);
4. **build the rows** (`_transaction_rows`): one transaction per kind written (an exit
   without pre-exportation writes both), each with new codes;
5. **write** (`_write`): the transactions, their item lines, the voucher and carnet updates,
   the audit event, the holder notifications and outbox rows through one `batch.Batch` — on
   PostgreSQL one pipelined round trip (bench/README.md "Transaction engine").

The caller commits: all of it is stored, or none. Every refusal raises DomainError before
anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import RowMapping, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import now_utc
from portal.domain import Conflict, DomainError, archive, audit, batch, evidence, history
from portal.domain.carnets import fmt_date
from portal.domain.rules import (
    FINAL_DATE_LABELS,
    Place,
    check_activation,
    check_final_date,
    check_hold,
    check_place,
    check_quantities,
    check_status,
    country_name,
    label,
)
from portal.domain.transactions.checks import (
    EXPORT_STEPS,
    KIND_FIELDS,
    Lines,
    check_fields,
    check_voucher_state,
    item_lines,
    parse_date,
    presented_lines,
)
from portal.domain.transactions.codes import CommitResult, new_codes, result_of, token_hash
from portal.domain.transactions.locking import commit_context, lock
from portal.domain.transactions.notify import notify
from portal.domain.transactions.place import Officer, place_of
from portal.domain.transition import validated_automatically
from portal.i18n import fmt_datetime
from portal.models import Carnet, GoodsItem, Hold, Transaction, TransactionItem, Voucher

TRANSACTIONS = batch.table_of(Transaction)
TRANSACTION_ITEMS = batch.table_of(TransactionItem)
VOUCHERS = batch.table_of(Voucher)
CARNETS = batch.table_of(Carnet)
# the item lines a kind records besides the goods cleared (F-41): the goods diverted to home use
EXTRA_LINES = {
    "reimport": ("not_reimported", "processed_abroad"),
    "reexport": ("not_reexported",),
}
TEXT_FIELDS = (
    "reference",
    "remarks",
    "customs_seals",
    "action_not_reexported",
    "action_not_produced",
)


@dataclass(frozen=True, slots=True)
class Entries:
    """What the officer entered at step 4 for this kind, checked."""

    goods_examined: bool | None
    final_date: dt.date | None
    # a re-importation's other lines, a re-exportation's goods not re-exported (home use)
    extra_lines: list[tuple[GoodsItem, int, str]]
    text: dict[str, str]


@dataclass(frozen=True, slots=True)
class Commit:
    """Everything the write phase needs, once the checks have passed."""

    officer: Officer
    place: Place
    carnet: Carnet
    voucher: Voucher
    ctx: RowMapping
    token_hash: str | None
    kinds: list[str]
    lines: Lines
    entries: Entries
    now: dt.datetime
    auto_validated: bool = False  # F-73: this commit validates the carnet (use case 2)


def commit_voucher(
    session: Session,
    voucher_id: int,
    officer: Officer,
    *,
    fields: dict | None = None,
    step: str | None = None,
    commit_token: str | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CommitResult:
    """Commit a voucher (F-41, F-42). `step` is 'export' or 'exit' for an exportation at an EU
    office (F-42): 'export' stores a pre-exportation, 'exit' the exportation — and the
    pre-exportation too when none was made (the office of export is also the office of exit);
    no step at an EU office means 'exit'. `commit_token` is the wizard's one-time token or the
    API's Idempotency-Key: a replay returns the first result (R-11)."""
    now = now or now_utc()
    fields = dict(fields or {})
    place = place_of(session, officer)
    today = today or place.local_date(now)  # the office's day (R-07 validity, final dates)
    hashed_token = token_hash(commit_token) if commit_token else None

    # 1. load and lock
    carnet, voucher = lock(session, voucher_id)
    ctx = commit_context(session, carnet, voucher, place, hashed_token)
    # 2. replay
    replayed = _replay(session, voucher, ctx)
    if replayed is not None:
        return replayed
    # 3. checks
    archive.check_open(carnet)  # a closed, archived carnet takes no new transaction
    step = _export_step(voucher.kind, step, place)
    check_voucher_state(voucher, step)
    check_fields(voucher.kind, fields)
    auto = validated_automatically(session, carnet, voucher.kind, today)
    lines = _check_rules(
        session, carnet, voucher, place, ctx, fields.get("quantities"), today, auto=auto
    )
    entries = _check_entries(session, carnet, voucher.kind, fields, today)
    _check_not_reexported(lines, entries.extra_lines)
    # 4, 5. build the rows and write them
    kinds = _kinds_written(voucher.kind, step, voucher.state)
    return _write(
        session,
        Commit(
            officer, place, carnet, voucher, ctx, hashed_token, kinds, lines, entries, now, auto
        ),
    )


# --- 2. replay (R-11) -------------------------------------------------------------------------


def _replay(session: Session, voucher: Voucher, ctx: RowMapping) -> CommitResult | None:
    """The first result when this commit token committed already (the last transaction of an
    export + exit pair, with the ids of both); None for a new commit."""
    if ctx["replay_id"] is None:
        return None
    first = session.get(Transaction, ctx["replay_id"])
    if first is None:
        return None
    if first.voucher_id != voucher.id:
        raise Conflict(
            _("This commit token was already used for another voucher."), code="token_reused"
        )
    ids = tuple(
        session.scalars(
            select(Transaction.id)
            .where(
                Transaction.voucher_id == voucher.id,
                Transaction.committed_at == first.committed_at,
                Transaction.state == "committed",
            )
            .order_by(Transaction.id)
        )
    )
    return result_of(first, ids or (first.id,), replayed=True)


# --- 3. checks --------------------------------------------------------------------------------


def _export_step(kind: str, step: str | None, place: Place) -> str | None:
    """The step of an exportation at an EU office (F-42): 'export' or 'exit' (the default);
    no step for anything else."""
    if step is not None and step not in EXPORT_STEPS:
        raise DomainError(_("Choose Export or Exit."), field="step")
    if step is not None and not (kind == "export" and place.is_eu):
        raise DomainError(
            _("The Export and Exit steps exist only for an exportation at an EU office."),
            field="step",
        )
    if kind == "export" and place.is_eu and step is None:
        return "exit"
    return step


def _check_rules(
    session: Session,
    carnet: Carnet,
    voucher: Voucher,
    place: Place,
    ctx: RowMapping,
    quantities: Any,
    today: dt.date,
    *,
    auto: bool = False,
) -> Lines:
    """The rules against the locked state (R-01 … R-08); returns the goods cleared. `auto`:
    the commit validates the carnet automatically (F-73)."""
    kind = voucher.kind
    check_status(carnet, kind, today)
    check_activation(carnet, kind, automatic=auto)
    check_place(session, carnet, kind, voucher.country_code, place, in_box_p=bool(ctx["in_box_p"]))
    check_hold(session.get(Hold, ctx["hold_id"]) if ctx["hold_id"] is not None else None)
    lines = presented_lines(session, carnet, voucher, quantities)
    check_quantities(
        session,
        carnet,
        kind,
        place.territory_id,
        _("the EU") if place.is_eu else country_name(session, place.country_code),
        lines,
    )
    return lines


def _check_entries(
    session: Session, carnet: Carnet, kind: str, fields: dict, today: dt.date
) -> Entries:
    """Step 4's fields of this kind (F-41): goods examined (validation), the final date (R-08),
    the goods not re-imported or processed abroad (re-importation), the texts."""
    goods_examined = None
    if kind == "validation":
        goods_examined = fields.get("goods_examined")
        if not isinstance(goods_examined, bool):
            raise DomainError(
                _("Say whether the goods were examined (yes or no)."), field="goods_examined"
            )
    final_date = None
    if "final_date" in KIND_FIELDS[kind]:
        final_date = parse_date(fields.get("final_date"), "final_date") or carnet.valid_until
        check_final_date(session, carnet, kind, final_date, today)
    extra_lines: list[tuple[GoodsItem, int, str]] = []
    for name in EXTRA_LINES.get(kind, ()):
        extra_lines += [
            (item, qty, name) for item, qty in item_lines(carnet, fields.get(name), name)
        ]
    text = {k: str(fields.get(k) or "").strip() for k in TEXT_FIELDS}
    if len(text["reference"]) > 100 or len(text["customs_seals"]) > 300:
        raise DomainError(_("The reference number or seals are too long."), field="reference")
    return Entries(goods_examined, final_date, extra_lines, text)


def _check_not_reexported(lines: Lines, extra_lines: list[tuple[GoodsItem, int, str]]) -> None:
    """A re-exportation's goods not re-exported (home use) and the goods it re-exports together
    are at most the item's pieces."""
    cleared = {item.id: qty for item, qty in lines}
    for item, qty, line in extra_lines:
        if line == "not_reexported" and cleared.get(item.id, 0) + qty > item.pieces:
            raise DomainError(
                _(
                    "Item %(no)s: %(cleared)s re-exported and %(qty)s not re-exported are more "
                    "than its %(pieces)s piece(s).",
                    no=item.item_no,
                    cleared=cleared.get(item.id, 0),
                    qty=qty,
                    pieces=item.pieces,
                ),
                field="not_reexported",
            )


def _kinds_written(kind: str, step: str | None, voucher_state: str) -> list[str]:
    """The transactions a commit writes, in order: an exportation's 'export' step stores the
    pre-exportation; its exit both, unless the pre-exportation was made already."""
    if step == "export":
        return ["pre_export"]
    if step == "exit" and voucher_state == "open":
        return ["pre_export", "export"]
    return [kind]


# --- 4. build the rows ------------------------------------------------------------------------


def _transaction_rows(c: Commit) -> tuple[list[tuple[str, str]], list[dict]]:
    """The transaction rows, one per kind written, and their (verification, cancellation)
    codes; the commit token goes on the last one."""
    place, text, kind = c.place, c.entries.text, c.voucher.kind
    codes, rows = [], []
    for i, k in enumerate(c.kinds):
        new = new_codes()
        codes.append((new.verification, new.cancellation))
        rows.append(
            dict(
                voucher_id=c.voucher.id,
                carnet_id=c.carnet.id,
                kind=k,
                state="committed",
                territory_id=place.territory_id,
                country_code=place.country_code,
                customs_id=place.customs_id,
                office_id=place.office_id,
                account_id=place.account_id,
                officer_name=place.officer_name,
                office_name=place.office_name,
                committed_at=c.now,
                goods_examined=c.entries.goods_examined,
                final_date=c.entries.final_date,
                reference=text["reference"],
                remarks=text["remarks"],
                customs_seals=text["customs_seals"] if kind == "transit_open" else "",
                action_not_reexported=text["action_not_reexported"],
                action_not_produced=text["action_not_produced"],
                transport_mode=c.ctx["transport_mode"],
                packaging_details=c.ctx["packaging_details"],
                holder_remarks=c.ctx["holder_remarks"],
                signed_name=c.ctx["signed_name"] or "",
                signed_at=c.ctx["signed_at"],
                **new.stored,
                commit_token_hash=c.token_hash if i == len(c.kinds) - 1 else None,
                receipt_signature=_sign(c, k, new.verification),
            )
        )
    return codes, rows


def _sign(c: Commit, kind: str, verification_code: str) -> str:
    """The receipt's Ed25519 signature over its canonical content (docs/evidence.md)."""
    lines = [("cleared", item.item_no, qty) for item, qty in c.lines]
    if kind in EXTRA_LINES:
        lines += [(line, item.item_no, qty) for item, qty, line in c.entries.extra_lines]
    return evidence.sign_receipt(
        eata_id=c.carnet.eata_id,
        carnet_number=c.carnet.carnet_number,
        kind=kind,
        country=c.place.country_code,
        office=c.place.office_name,
        at=c.now,
        lines=lines,
        verification_code=verification_code,
    )


def _item_rows(c: Commit, txn_ids: list[int]) -> list[dict]:
    rows = []
    for txn_id, k in zip(txn_ids, c.kinds, strict=True):
        rows += [
            {
                "transaction_id": txn_id,
                "goods_item_id": item.id,
                "item_no": item.item_no,
                "quantity": qty,
                "line": "cleared",
            }
            for item, qty in c.lines
        ]
        if k in EXTRA_LINES:
            rows += [
                {
                    "transaction_id": txn_id,
                    "goods_item_id": item.id,
                    "item_no": item.item_no,
                    "quantity": qty,
                    "line": line,
                }
                for item, qty, line in c.entries.extra_lines
            ]
    return rows


# --- 5. write ---------------------------------------------------------------------------------


def _write(session: Session, c: Commit) -> CommitResult:
    """Every row through one Batch — on PostgreSQL a single pipelined round trip."""
    writes = batch.Batch(session)
    codes, txn_rows = _transaction_rows(c)
    # the transactions, one per kind in order (ids ascend as the ORM flush would number them)
    if writes.pg:
        txn_ids = [c.ctx["txn_id"], *writes.next_ids(TRANSACTIONS, len(c.kinds) - 1)]
        writes.insert(
            TRANSACTIONS, [{"id": tid, **row} for tid, row in zip(txn_ids, txn_rows, strict=True)]
        )
    else:
        txn_ids = [writes.insert_returning(TRANSACTIONS, row) for row in txn_rows]
    writes.insert(TRANSACTION_ITEMS, _item_rows(c, txn_ids))
    # the R-04 read model of the carnet, in the same database transaction (docs/monitoring.md)
    history.queue_refresh(writes, c.carnet.id)

    # the voucher and the carnet rows (locked above); the new values are then set on the
    # loaded objects as their committed state
    kind, place, carnet, voucher, now = c.voucher.kind, c.place, c.carnet, c.voucher, c.now
    voucher_values = {
        "state": "pre_exported" if c.kinds == ["pre_export"] else "used",
        "used_at": now,
    }
    carnet_values: dict[str, Any] = {"updated_at": now}
    if kind == "validation" or c.auto_validated:
        carnet_values.update(status="active", activated_at=now)  # as carnets.mark_activated
    if c.auto_validated:
        _queue_auto_validation(writes, c)
    writes.update(VOUCHERS, voucher.id, voucher_values)
    writes.update(CARNETS, carnet.id, carnet_values)

    last_id, last_kind = txn_ids[-1], c.kinds[-1]
    final_date = c.entries.final_date
    audit.queue(
        writes,
        "transaction.committed",
        actor_type="account",
        actor_id=place.account_id,
        actor_label=c.officer.account.email,
        customs_id=place.customs_id,
        ip=c.officer.ip,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={
            "transactions": txn_ids,
            "kinds": c.kinds,
            "voucher_id": voucher.id,
            "office": place.office_name,
            "country": place.country_code,
            "items": {str(item.item_no): qty for item, qty in c.lines},
            "final_date": final_date.isoformat() if final_date else None,
        },
    )

    def words() -> tuple[str, str]:
        what = label(last_kind)
        body = _(
            "The %(kind)s of carnet %(number)s was committed at %(office)s (%(country)s) on "
            "%(when)s.",
            kind=what,
            number=carnet.carnet_number,
            office=place.office_name,
            country=country_name(session, place.country_code),
            when=fmt_datetime(now),
        )
        if final_date and kind in FINAL_DATE_LABELS:
            body += " " + _(
                "%(what)s: %(date)s.",
                what=str(FINAL_DATE_LABELS[kind]).capitalize(),
                date=fmt_date(final_date),
            )
        body += " " + _("Open your wallet to check the officer's verification code.")
        return _("%(kind)s committed", kind=what.capitalize()), body

    notify(
        session,
        carnet,
        "committed",
        voucher=voucher,
        transaction_id=last_id,
        words=words,
        email=True,
        writes=writes,
        holders=(c.ctx["holders"] or []) if writes.pg else None,
    )
    writes.run()
    for obj, values in ((voucher, voucher_values), (carnet, carnet_values)):
        for key, value in values.items():
            set_committed_value(obj, key, value)
    verification, cancellation = codes[-1]
    return CommitResult(
        last_id, last_kind, verification, cancellation, transaction_ids=tuple(txn_ids)
    )


def _queue_auto_validation(writes: batch.Batch, c: Commit) -> None:
    """F-73: the audit event of a carnet validated automatically by its first commit abroad
    (its departure country is a paper country: use case 2)."""
    audit.queue(
        writes,
        "carnet.validated_automatically",
        actor_type="system",
        actor_label="use case 2: departure from a paper country",
        customs_id=c.place.customs_id,
        object_type="carnet",
        object_id=c.carnet.eata_id,
        data={"departure_country": c.carnet.departure_country, "voucher_id": c.voucher.id},
    )
