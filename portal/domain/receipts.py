"""Receipts of committed transactions (F-43): the data shown on step 5, the verification QR and
the printable PDF (weasyprint).

The PDF is rendered from the application's own HTML with a URL fetcher that serves only the
application's static files: whatever a template or a stored value might reference, nothing else
is read — no file of the server, no address on the network.
"""

from __future__ import annotations

import functools
import io
import mimetypes
import os

import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal import caches
from portal.domain import archive, evidence, outbox
from portal.domain import carnets as carnet_domain
from portal.domain.rules import label
from portal.domain.transactions import verification_code_of
from portal.domain.vouchers import format_code
from portal.models import (
    Carnet,
    GoodsItem,
    Transaction,
    Travel,
    Voucher,
)

STATIC_BASE = "https://eata-static.invalid/static/"
VERIFY_PREFIX = "EATAV1"
LINE_LABELS = {
    "cleared": _l("Cleared"),
    "not_reimported": _l("Not re-imported"),
    "processed_abroad": _l("Processed abroad"),
    "not_reexported": _l("Not re-exported (home use)"),
}


def _store(txn: Transaction) -> archive.Store:
    return archive.ARCHIVE if archive.is_archived(txn) else archive.LIVE


def receipt_data(session: Session, txn: Transaction) -> dict:
    # the carnet, voucher, travel and cancellation in one query; the committed lines with their
    # goods item in another (the step-5 page, the PDF and the wallet read this); an archived
    # carnet's from the archive tables (portal/domain/archive.py)
    store = _store(txn)
    c, ti_ = store.cancellation, store.item
    carnet, voucher, travel, cancelled_at = session.execute(
        select(Carnet, Voucher, Travel, c.at)
        .select_from(Carnet)
        .outerjoin(Voucher, Voucher.id == txn.voucher_id)
        .outerjoin(Travel, Travel.id == Voucher.travel_id)
        .outerjoin(c, c.transaction_id == txn.id)
        .where(Carnet.id == txn.carnet_id)
    ).one()
    rows = session.execute(
        select(ti_, GoodsItem)
        .outerjoin(
            GoodsItem,
            and_(GoodsItem.carnet_id == txn.carnet_id, GoodsItem.item_no == ti_.item_no),
        )
        .where(ti_.transaction_id == txn.id)
    ).all()
    lines = []
    for ti, item in sorted(rows, key=lambda r: (r[0].line, r[0].item_no)):
        lines.append(
            {
                "no": ti.item_no,
                "quantity": ti.quantity,
                "line": str(LINE_LABELS.get(ti.line, ti.line)),
                "description": carnet_domain.item_description(carnet, item) if item else "",
                "marks": (carnet_domain.item_marks(carnet, item) or "") if item else "",
            }
        )
    t = store.txn
    siblings = list(
        session.scalars(
            select(t).where(
                t.voucher_id == txn.voucher_id,
                t.committed_at == txn.committed_at,
                t.id != txn.id,
            )
        )
    )
    code = verification_code_of(txn)
    holder = carnet_domain.holder_of(carnet)
    signed = evidence.receipt_text(txn, carnet, [ti for ti, _item in rows], code)
    return {
        "id": txn.id,
        "kind": txn.kind,
        "kind_label": label(txn.kind),
        "state": txn.state,
        "carnet_number": carnet.carnet_number,
        "eata_id": carnet.eata_id,
        "holder_name": holder.get("name", ""),
        "office": txn.office_name,
        "country": txn.country_code,
        "officer": txn.officer_name,
        "committed_at": txn.committed_at,
        "verification_code": code,
        "verification_code_display": format_code(code),
        # the signed receipt (docs/evidence.md); a transaction committed before receipts were
        # signed keeps the unsigned "EATAV1:<id>:<code>"
        "verification_payload": signed or f"{VERIFY_PREFIX}:{txn.id}:{code}",
        "receipt_text": signed,
        "receipt_id": evidence.receipt_id_of(txn),
        "receipt_kid": (txn.receipt_signature or "").partition(".")[0],
        "goods_examined": txn.goods_examined,
        "final_date": txn.final_date,
        "customs_seals": txn.customs_seals,
        "reference": txn.reference,
        "remarks": txn.remarks,
        "action_not_reexported": txn.action_not_reexported,
        "action_not_produced": txn.action_not_produced,
        # the travel's holder-filled fields as committed (amended by the officer at step 3)
        "transport_mode": txn.transport_mode or "",
        "packaging_details": txn.packaging_details or "",
        "holder_remarks": txn.holder_remarks or "",
        "signed_name": txn.signed_name,
        "signed_at": txn.signed_at,
        "departure": travel.departure_country if travel else "",
        "destination": travel.destination_country if travel else "",
        "lines": lines,
        "also": [label(t.kind) for t in siblings],
        "cancelled_at": cancelled_at,
        "email": outbox.receipt_email_state(
            session, txn.carnet_id, [txn.id] + [t.id for t in siblings]
        ),
    }


@functools.lru_cache(maxsize=512)
def _qr_file(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m").save(
        out, kind="svg", scale=4, xmldecl=False, title="Verification QR code"
    )
    return out.getvalue()


caches.register("receipt_qr_images", _qr_file.cache_clear)


def verification_payload_of(session: Session, txn: Transaction) -> str:
    """The verification QR's text: the signed receipt, or "EATAV1:<id>:<code>" for a
    transaction committed before receipts were signed."""
    code = verification_code_of(txn)
    carnet = session.get_one(Carnet, txn.carnet_id)
    ti_ = _store(txn).item
    items = session.scalars(select(ti_).where(ti_.transaction_id == txn.id)).all()
    return evidence.receipt_text(txn, carnet, items, code) or f"{VERIFY_PREFIX}:{txn.id}:{code}"


def verification_qr_file(session: Session, txn: Transaction) -> bytes:
    """The verification QR as a standalone SVG image (step 5 shows it with <img>); it never
    changes for a transaction, so it is built once per process."""
    return _qr_file(verification_payload_of(session, txn))


def qr_svg(payload: str) -> str:
    """A QR as inline SVG (receipts, statements)."""
    return segno.make(payload, error="m").svg_inline(
        scale=4, omitsize=True, title="Verification QR code"
    )


def verification_qr_svg(data: dict) -> str:
    """The verification QR as inline SVG (the holder's wallet scans it, F-34)."""
    return qr_svg(data["verification_payload"])


def static_url_fetcher(static_folder: str):
    """A weasyprint URL fetcher that serves only files under the app's static folder."""
    root = os.path.realpath(static_folder)

    def fetch(url: str, *args, **kwargs):
        if not url.startswith(STATIC_BASE) or "?" in url or "#" in url:
            raise ValueError(
                f"Refused to fetch {url[:80]!r}: only the application's own "
                f"static files can be used in a receipt."
            )
        relative = url[len(STATIC_BASE) :]
        path = os.path.realpath(os.path.join(root, relative))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            raise ValueError(f"Refused to fetch {url[:80]!r}.")
        with open(path, "rb") as fh:
            body = fh.read()
        return {
            "string": body,
            "mime_type": mimetypes.guess_type(path)[0] or "application/octet-stream",
            "redirected_url": url,
        }

    return fetch


def render_pdf(html: str, static_folder: str) -> bytes:
    from weasyprint import HTML

    return HTML(
        string=html, base_url=STATIC_BASE, url_fetcher=static_url_fetcher(static_folder)
    ).write_pdf()
