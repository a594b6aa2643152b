"""Paper cover-page evidence (F-37): the holder (wallet) or the chamber (NICS API) attaches the
paper cover page validated in a paper departure country (use case 2: "should the digital
countries require, holders may upload the paper carnet's cover page"); customs (desk, step 2)
and the chamber see it. Every file passes portal/domain/uploads.py."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, NotFound, audit, uploads
from portal.domain.ata_status import is_digital
from portal.domain.transition import departed_on_paper
from portal.models import Carnet, CoverPage

MAX_PER_CARNET = 5
FOLDER = "cover_pages"


def may_attach(session: Session, carnet: Carnet, today: dt.date | None = None) -> bool:
    """A carnet validated (or to be validated) on paper in its departure country."""
    today = today or now_utc().date()
    if carnet.status in ("cancelled", "discharged"):
        return False
    if carnet.activated_at is None:
        return not is_digital(session, carnet.departure_country, today)
    return departed_on_paper(session, carnet)


def attach(
    session: Session,
    carnet: Carnet,
    filename: str | None,
    data: bytes,
    storage_dir: str,
    *,
    by_kind: str,
    by: str,
    actor_id: int | None = None,
    ip: str | None = None,
    limits: uploads.Limits | None = None,
    actor_type: str | None = None,
) -> CoverPage:
    """Check the file, store it, record it. Nothing is stored when it is refused. The caller
    commits (and removes the stored file if its commit fails: `uploads.remove`). `by_kind` is
    who uploaded it as the cover page keeps it (holder, api_client, chamber); `actor_type` the
    audit's actor type when it differs (the chamber's staff: chamber_staff)."""
    if not may_attach(session, carnet):
        raise Conflict(
            _(
                "A paper cover page is attached only to a carnet validated in a paper departure "
                "country (Global Transition Plan, use case 2)."
            ),
            field="file",
            code="not_paper_departure",
        )
    count = session.scalar(select(func.count(CoverPage.id)).where(CoverPage.carnet_id == carnet.id))
    if (count or 0) >= MAX_PER_CARNET:
        raise Conflict(
            _("This carnet already has %(count)s cover-page files.", count=MAX_PER_CARNET),
            field="file",
            code="too_many_files",
        )
    upload = uploads.check_upload(filename, data, ("pdf", "png", "jpeg"), limits)
    path = uploads.store(upload, storage_dir, FOLDER)
    row = CoverPage(
        carnet_id=carnet.id,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        path=path,
        uploaded_by_kind=by_kind,
        uploaded_by=by[:254],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "cover_page.attached",
        actor_type=actor_type or by_kind,
        actor_id=actor_id,
        actor_label=by,
        ip=ip,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"cover_page": row.id, "filename": row.filename, "sha256": row.sha256},
    )
    return row


def cover_pages(session: Session, carnet_id: int) -> list[CoverPage]:
    return list(
        session.scalars(
            select(CoverPage)
            .where(CoverPage.carnet_id == carnet_id)
            .order_by(CoverPage.uploaded_at, CoverPage.id)
        )
    )


def get(session: Session, carnet_id: int, cover_page_id: int) -> CoverPage:
    row = session.get(CoverPage, cover_page_id)
    if row is None or row.carnet_id != carnet_id:
        raise NotFound(_("No such cover page."))
    return row
