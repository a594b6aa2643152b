"""Voucher share links for a representative (F-35): no account needed, one voucher only."""

from __future__ import annotations

import segno
from flask import Response, abort, flash, g, render_template, url_for
from flask_babel import gettext as _

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import EmptyForm, ShareForm
from portal.blueprints.wallet.routes import qr_svg
from portal.blueprints.wallet.session import holder_required
from portal.domain import DomainError, NotFound
from portal.domain import wallet as wallet_domain
from portal.domain.carnets import item_description
from portal.domain.vouchers import code_of, qr_payload
from portal.extensions import db, limiter
from portal.models import Carnet
from portal.tenancy import site_url
from portal.web import redirect_to


@bp.post("/vouchers/<int:voucher_id>/share")
@limiter.limit("30 per hour")
@holder_required
def create_share(voucher_id: int):
    form = ShareForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        share, raw = wallet_domain.create_share(
            db.session, g.holder, voucher_id, days=int(form.days.data), label=form.label.data
        )
    except NotFound:
        abort(404)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect_to(url_for("wallet.voucher", voucher_id=voucher_id))
    db.session.commit()
    link = site_url("wallet", path=url_for("wallet.shared", token=raw))
    return render_template(
        "wallet/share_created.html", link=link, share=share, voucher_id=voucher_id
    )


@bp.post("/shares/<int:share_id>/revoke")
@holder_required
def revoke_share(share_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        share = wallet_domain.revoke_share(db.session, g.holder, share_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("The link no longer works."), "success")
    return redirect_to(url_for("wallet.voucher", voucher_id=share.voucher_id))


def _open(token: str):
    try:
        return wallet_domain.open_share(db.session, token)
    except NotFound:
        abort(404, description=_("This link has expired or was withdrawn by the carnet holder."))


@bp.get("/s/<token>")
@limiter.limit("60 per minute")
def shared(token: str):
    """What the representative sees: this voucher's QR, code and goods — nothing else."""
    share = _open(token)
    v = share.voucher
    carnet = db.session.get(Carnet, v.carnet_id)
    items = [
        (ti, item_description(carnet, next(i for i in carnet.items if i.id == ti.goods_item_id)))
        for ti in v.travel.items
    ]
    status = wallet_domain.voucher_status(db.session, v)
    return render_template(
        "wallet/shared.html",
        share=share,
        voucher=v,
        carnet=carnet,
        code=code_of(v),
        items=items,
        status=status,
        token=token,
    )


@bp.get("/s/<token>/voucher.pdf")
@limiter.limit("10 per minute")
def shared_pdf(token: str):
    """The same voucher as a PDF (weasyprint), QR embedded as an SVG data URI: nothing fetched."""
    from weasyprint import HTML

    share = _open(token)
    v = share.voucher
    carnet = db.session.get(Carnet, v.carnet_id)
    items = [
        (ti, item_description(carnet, next(i for i in carnet.items if i.id == ti.goods_item_id)))
        for ti in v.travel.items
    ]
    qr = segno.make(qr_payload(carnet.eata_id, code_of(v)), error="m").svg_data_uri(
        scale=6, border=2
    )
    html = render_template(
        "wallet/shared_pdf.html",
        share=share,
        voucher=v,
        carnet=carnet,
        code=code_of(v),
        items=items,
        qr=qr,
    )
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'inline; filename="eata-voucher-{carnet.carnet_number}-{v.kind}.pdf"'
    )
    return resp


def _no_fetch(url: str, *args, **kwargs):
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    raise ValueError("external resources are not fetched")


@bp.get("/s/<token>/qr.svg")
@limiter.limit("60 per minute")
def shared_qr(token: str):
    share = _open(token)
    carnet = db.session.get(Carnet, share.voucher.carnet_id)
    return qr_svg(qr_payload(carnet.eata_id, code_of(share.voucher)))
