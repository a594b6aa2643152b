"""Exports (F-64): the filtered list as .xlsx (up to 500 rows, openpyxl write-only mode,
formula-like cells neutralised by portal.domain.cells) and selected transactions as a .zip of one
PDF and one XML each (the XML validated against portal/data/transaction.xsd before it is
written). Transactions are written as the exporting administration sees them
(visibility.seen_by: another administration's without officer name or remarks), with the
reason of a cancellation.

The PDF's HTML is produced by the caller (a template). Headers and dates are written with
portal.i18n in the current language (the job runs in its asker's, jobs/runtime.run_tracked).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import xml.etree.ElementTree as etree
import zipfile
from collections.abc import Callable

import xmlschema
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import caches
from portal.domain import logs
from portal.domain.cells import safe_cell
from portal.domain.reconciliation import STATUS_LABELS, item_ranges
from portal.domain.visibility import SeenTransaction, seen_by
from portal.i18n import fmt_date, fmt_datetime
from portal.models import Carnet, Transaction

XSD_PATH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "transaction.xsd")
NS = "urn:eata:transaction:1"
ZIP_LIMIT = 25


def _d(value) -> str:
    return fmt_date(value) if value else ""


def _dt(value) -> str:
    return fmt_datetime(value) if value else ""


# the column headers, in the language the export is written in (the asker's, see jobs/runtime)
CARNET_HEADERS = [
    _l("Reconciliation"),
    _l("Carnet ID"),
    _l("Carnet number"),
    _l("Type"),
    _l("Order type"),
    _l("Issue"),
    _l("Valid until"),
    _l("Total value"),
    _l("Currency"),
]
TRANSACTION_HEADERS = [
    _l("Carnet"),
    _l("Type"),
    _l("Transaction"),
    _l("State"),
    _l("Time"),
    _l("Cleared goods"),
    _l("Final date"),
    _l("Customs territory"),
    _l("Customs office"),
    _l("Customs reference number"),
    _l("Cancellation reason"),
]


def list_rows(
    session: Session,
    view: str,
    territory_id: int,
    f: logs.Filters,
    today: dt.date,
    customs_id: int | None = None,
) -> tuple[list[str], list[list]]:
    """The rows of the Logs list as filtered, at most EXPORT_LIMIT, as the administration
    `customs_id` sees them."""
    if view == "carnets":
        q = logs.newest_first(logs.carnets_query(territory_id, f, today), logs.CARNET_KEYS)
        q = q.limit(logs.EXPORT_LIMIT)
        rows = [
            [
                str(STATUS_LABELS[s]),
                c.eata_id,
                c.carnet_number,
                c.carnet_type,
                c.order_type,
                _d(c.issue_date),
                _d(c.valid_until),
                float(c.total_value),
                c.currency,
            ]
            for c, s in session.execute(q).all()
        ]
        return [str(h) for h in CARNET_HEADERS], rows
    q = logs.newest_first(logs.transactions_query(territory_id, f), logs.TRANSACTION_KEYS)
    q = q.limit(logs.EXPORT_LIMIT)
    txns = seen_by(session, session.scalars(q), customs_id)
    carnets = {
        c.id: c
        for c in session.scalars(select(Carnet).where(Carnet.id.in_({t.carnet_id for t in txns})))
    }
    rows = []
    for t in txns:
        c = carnets[t.carnet_id]
        rows.append(
            [
                c.carnet_number,
                c.carnet_type,
                str(logs.KIND_LABELS.get(t.kind, t.kind)),
                t.state,
                _dt(t.committed_at),
                item_ranges(i.item_no for i in t.items),
                _d(t.final_date),
                t.country_code,
                t.office_name,
                t.reference,
                t.cancellation_reason,
            ]
        )
    return [str(h) for h in TRANSACTION_HEADERS], rows


def write_xlsx(
    path: str, headers: list[str], rows: list[list], progress: Callable | None = None
) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Logs")
    ws.append(headers)
    for n, row in enumerate(rows, 1):
        ws.append([safe_cell(v) for v in row])
        if progress:
            progress(n, len(rows))
    wb.save(path)
    return len(rows)


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """The shipped XSD, parsed once per process."""
    return xmlschema.XMLSchema(XSD_PATH)


caches.register("transaction_xsd", schema.cache_clear)


def transaction_xml(txn: SeenTransaction, carnet: Carnet) -> bytes:
    """One transaction as XML (as seen_by the exporting administration), validated against
    the shipped XSD (raises on a mismatch)."""

    def el(parent, name, text=None):
        e = etree.SubElement(parent, f"{{{NS}}}{name}")
        if text is not None:
            e.text = str(text)
        return e

    etree.register_namespace("", NS)
    root = etree.Element(f"{{{NS}}}transaction")
    el(root, "id", txn.id)
    el(root, "kind", txn.kind)
    el(root, "state", txn.state)
    el(root, "committedAt", txn.committed_at.replace(microsecond=0).isoformat())
    c = el(root, "carnet")
    el(c, "eataId", carnet.eata_id)
    el(c, "number", carnet.carnet_number)
    el(c, "type", carnet.carnet_type)
    el(c, "issueDate", carnet.issue_date.isoformat())
    el(c, "validUntil", carnet.valid_until.isoformat())
    el(root, "country", txn.country_code)
    el(root, "office", txn.office_name)
    if txn.officer_name:
        el(root, "officer", txn.officer_name)
    if txn.reference:
        el(root, "reference", txn.reference)
    if txn.final_date:
        el(root, "finalDate", txn.final_date.isoformat())
    if txn.goods_examined is not None:
        el(root, "goodsExamined", "true" if txn.goods_examined else "false")
    if txn.customs_seals:
        el(root, "customsSeals", txn.customs_seals)
    if txn.remarks:
        el(root, "remarks", txn.remarks)
    if txn.signed_name:
        el(root, "signedBy", txn.signed_name)
    if txn.cancellation_reason:
        el(root, "cancellationReason", txn.cancellation_reason)
    items = el(root, "items")
    for i in txn.items:
        item = el(items, "item")
        item.set("no", str(i.item_no))
        item.set("quantity", str(i.quantity))
        item.set("line", i.line)
    etree.indent(root)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    schema().validate(data.decode("utf-8"))  # raises XMLSchemaValidationError
    return data


def write_zip(
    session: Session,
    path: str,
    transaction_ids: list[int],
    render_pdf: Callable[[SeenTransaction, Carnet], bytes],
    progress: Callable | None = None,
    customs_id: int | None = None,
) -> int:
    """One PDF and one XML per transaction (as the administration `customs_id` sees it), in a
    .zip written to `path`."""
    txns = seen_by(
        session,
        session.scalars(
            select(Transaction)
            .where(Transaction.id.in_(transaction_ids))
            .options(selectinload(Transaction.items))
            .order_by(Transaction.committed_at, Transaction.id)
        ),
        customs_id,
    )
    carnets = {
        c.id: c
        for c in session.scalars(select(Carnet).where(Carnet.id.in_({t.carnet_id for t in txns})))
    }
    # straight to the file, each entry as it is made: memory holds one PDF at a time; the
    # file gets its name once complete (a failed job leaves no half archive under it)
    partial = f"{path}.part"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, t in enumerate(txns, 1):
            c = carnets[t.carnet_id]
            stem = f"{c.carnet_number}-{t.id}-{t.kind}"
            zf.writestr(f"{stem}.xml", transaction_xml(t, c))
            zf.writestr(f"{stem}.pdf", render_pdf(t, c))
            if progress:
                progress(n, len(txns))
    os.replace(partial, path)
    return len(txns)


def expires_at(finished_at: dt.datetime | None, ttl_hours: int) -> dt.datetime | None:
    return finished_at + dt.timedelta(hours=ttl_hours) if finished_at else None
