"""Attachments of a pre-declaration (F-50: "PDF/images, size-limited"): the holder adds them
with the form (air waybill, invoices…); the officer opens them from Details. Every file passes
the one upload guard, portal/domain/uploads.py (size, real type by content, no active PDF
content), and is stored under STORAGE_DIR/predeclarations/ (outside the web root); it is served
only through its pre-declaration, as a download (`portal.web.send_upload`)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import NotFound, uploads
from portal.models import Predeclaration, PredeclarationAttachment

FOLDER = "predeclarations"
MAX_FILES = 5
ALLOWED = ("pdf", "png", "jpeg")


def check_files(
    files: list[tuple[str | None, bytes]],
    already: int = 0,
    limits: uploads.Limits | None = None,
) -> list[uploads.Upload]:
    """Every file checked by the upload guard before anything is stored or saved: the first
    refusal (`uploads.UploadRefused`, field "attachments", naming the file) refuses them all."""
    files = [(name, data) for name, data in files if name or data]
    if already + len(files) > MAX_FILES:
        refused = uploads.UploadRefused(
            _("At most %(max)s attachments per pre-declaration.", max=MAX_FILES)
        )
        refused.field = "attachments"
        raise refused
    checked = []
    for name, data in files:
        try:
            checked.append(uploads.check_upload(name, data, ALLOWED, limits))
        except uploads.UploadRefused as e:
            raise _named(e, name) from None
    return checked


def _named(e: uploads.UploadRefused, name: str | None) -> uploads.UploadRefused:
    refused = uploads.UploadRefused(
        _("%(file)s: %(problem)s", file=(name or _("The file"))[:100], problem=e.message),
        code=e.code,
    )
    refused.field = "attachments"
    return refused


def attach(
    session: Session, p: Predeclaration, checked: list[uploads.Upload], storage_dir: str
) -> list[PredeclarationAttachment]:
    """Store the checked files and record them on the pre-declaration. The caller commits (and
    removes the stored files if its commit fails: `remove_stored`)."""
    rows = []
    for upload in checked:
        row = PredeclarationAttachment(
            predeclaration_id=p.id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            path=uploads.store(upload, storage_dir, FOLDER),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def remove_stored(storage_dir: str, rows: list[PredeclarationAttachment]) -> None:
    for row in rows:
        uploads.remove(storage_dir, row.path)


def count(session: Session, predeclaration_id: int) -> int:
    return (
        session.scalar(
            select(func.count(PredeclarationAttachment.id)).where(
                PredeclarationAttachment.predeclaration_id == predeclaration_id
            )
        )
        or 0
    )


def attachments_of(session: Session, predeclaration_id: int) -> list[PredeclarationAttachment]:
    return list(
        session.scalars(
            select(PredeclarationAttachment)
            .where(PredeclarationAttachment.predeclaration_id == predeclaration_id)
            .order_by(PredeclarationAttachment.id)
        )
    )


def get(session: Session, predeclaration_id: int, attachment_id: int) -> PredeclarationAttachment:
    """An attachment of this pre-declaration (the caller loaded it tenant-scoped); any other is
    not found."""
    row = session.get(PredeclarationAttachment, attachment_id)
    if row is None or row.predeclaration_id != predeclaration_id:
        raise NotFound(_("No such attachment."))
    return row
