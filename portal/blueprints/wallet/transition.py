"""Public pages of the global transition on the wallet host, no login (F-70, F-71):
the published list of digital and paper countries, and the itinerary advice — which carnet
format to issue or use, per leg — for holders and anyone (the issuing associations' staff have
the same page on their portal, chamber.<domain>, and their issuing systems the NICS API)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import EmptyForm
from portal.blueprints.wallet.routes import or_404
from portal.blueprints.wallet.session import holder_required
from portal.db import now_utc
from portal.domain import DomainError, ata_status, cover_pages, transition
from portal.domain import wallet as wallet_domain
from portal.extensions import db, limiter
from portal.web import redirect_to, send_upload


def _date_arg(name: str) -> tuple[dt.date | None, str | None]:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None, None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return None, _("Give the date as YYYY-MM-DD.")


@bp.get("/ata-status")
@limiter.limit("60 per minute")
def ata_status_page():
    """The published digital/paper list on a day (today by default)."""
    on, error = _date_arg("on")
    on = on or now_utc().date()
    rows = ata_status.status_list(db.session, on)
    return render_template(
        "wallet/ata_status.html",
        rows=rows,
        on=on,
        error=error,
        digital=sum(1 for r in rows if r.status == "digital"),
    ), (422 if error else 200)


@bp.get("/itinerary-advice")
@limiter.limit("30 per minute")
def itinerary_advice_page():
    """F-71 for people: departure, the countries (destinations, transits) and their dates."""
    form = transition.advice_form(db.session, request.args)
    return render_template("wallet/itinerary_advice.html", form=form, **transition.ADVICE_WORDS), (
        422 if form.errors else 200
    )


# --- F-37: the paper cover page, uploaded by the holder -----------------------------------------


@bp.post("/carnets/<int:carnet_id>/cover-pages")
@limiter.limit("20 per hour")
@holder_required
def upload_cover_page(carnet_id: int):
    _entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    file = request.files.get("file")
    data = file.stream.read(cover_pages.uploads.Limits().max_bytes + 1) if file else b""
    storage = current_app.config["STORAGE_DIR"]
    try:
        row = cover_pages.attach(
            db.session,
            carnet,
            file.filename if file else None,
            data,
            storage,
            by_kind="holder",
            by=g.holder.email,
            actor_id=g.holder.id,
            ip=request.remote_addr,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_template(
            "wallet/cover_pages.html",
            carnet=carnet,
            rows=cover_pages.cover_pages(db.session, carnet.id),
            may_attach=cover_pages.may_attach(db.session, carnet),
            empty=EmptyForm(),
            error=err.message,
        ), 422
    flash(_("Cover page %(name)s attached.", name=row.filename), "success")
    return redirect_to(url_for("wallet.cover_pages_page", carnet_id=carnet.id))


@bp.get("/carnets/<int:carnet_id>/cover-pages")
@holder_required
def cover_pages_page(carnet_id: int):
    _entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    return render_template(
        "wallet/cover_pages.html",
        carnet=carnet,
        rows=cover_pages.cover_pages(db.session, carnet.id),
        may_attach=cover_pages.may_attach(db.session, carnet),
        empty=EmptyForm(),
        error=None,
    )


@bp.get("/carnets/<int:carnet_id>/cover-pages/<int:cover_page_id>")
@holder_required
def cover_page_file(carnet_id: int, cover_page_id: int):
    _entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    row = or_404(cover_pages.get, db.session, carnet.id, cover_page_id)
    return send_upload(row.path, row.filename, row.content_type)
