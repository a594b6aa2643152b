"""The wallet's carnets, travels, vouchers and notifications (F-30 … F-34, F-38, R-09)."""

from __future__ import annotations

import datetime as dt
import io

import segno
from flask import Response, abort, current_app, flash, g, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from portal.blueprints.info import pages
from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import (
    DownloadForm,
    EmptyForm,
    ShareForm,
    SignForm,
    VerifyForm,
)
from portal.blueprints.wallet.session import holder_required
from portal.db import now_utc
from portal.domain import DomainError, NotFound, audit, evidence, receipts, transition
from portal.domain import travels as travel_domain
from portal.domain import wallet as wallet_domain
from portal.domain.carnets import SET_LABELS, STATUS_LABELS, item_description
from portal.domain.rules import country_name, label
from portal.domain.transactions import cancellation_code_of, check_verification_code
from portal.domain.visibility import full_history
from portal.domain.vouchers import code_of, format_code, qr_payload
from portal.extensions import db, limiter
from portal.i18n import fmt_date, fmt_datetime
from portal.models import Carnet
from portal.web import is_poll, redirect_to, render_page, show_refusal

POLL_SECONDS = 3


@bp.app_template_filter("ddmmyyyy")
def ddmmyyyy(value) -> str:
    """Kept for the templates not moved to |date / |datetime yet: the same formatters."""
    return fmt_datetime(value) if isinstance(value, dt.datetime) else fmt_date(value)


# the words of the states the wallet shows (the values stay the machine codes in data-state)
ATA_STATES = transition.ATA_STATE_LABELS
LEG_ROLES = transition.LEG_ROLE_LABELS
TRANSPORT_LABELS = {"air": _l("Air"), "sea": _l("Sea"), "land": _l("Land")}


@bp.context_processor
def wallet_context():
    holder = getattr(g, "holder", None)
    unread = wallet_domain.unread_count(db.session, holder) if holder is not None else 0
    return {
        "unread": unread,
        "kind_label": label,
        "country_name": lambda code: country_name(db.session, code),
        "format_code": format_code,
        "SET_LABELS": SET_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "VOUCHER_STATES": {
            "pending": pgettext("voucher", "pending"),
            "committed": pgettext("voucher", "committed"),
            "rejected": pgettext("voucher", "rejected"),
            "cancelled": pgettext("voucher", "cancelled"),
        },
        "TXN_STATES": {
            "committed": pgettext("transaction", "committed"),
            "cancelled": pgettext("transaction", "cancelled"),
        },
        "ATA_STATES": ATA_STATES,
        "LEG_ROLES": LEG_ROLES,
        "TRANSPORT_LABELS": TRANSPORT_LABELS,
    }


def or_404(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        abort(404)


# --- carnets (F-30, F-31) ----------------------------------------------------------------------


@bp.get("/carnets")
@holder_required
def carnets():
    rows = wallet_domain.wallet_carnets(db.session, g.holder)
    return render_template(
        "wallet/carnets.html",
        rows=rows,
        today=_today(),
        **pages.latest_news("holders", f"h:{g.holder.id}", "info_wallet"),
    )


def _today():
    return now_utc().date()


@bp.route("/carnets/download", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
@holder_required
def download():
    form = DownloadForm()
    if form.validate_on_submit():
        ref, pin = form.carnet_ref.data or "", form.pin.data or ""
        try:
            if form.qr_text.data and not (ref and pin):
                ref, pin = wallet_domain.parse_download_qr(form.qr_text.data)
            if not ref:
                raise DomainError(_("Give the eATA ID or the carnet number."), field="carnet_ref")
            if not pin:
                raise DomainError(_("Give the carnet PIN."), field="pin")
            carnet = wallet_domain.download_carnet(
                db.session, g.holder, ref, pin, ip=request.remote_addr
            )
        except DomainError as err:
            db.session.rollback()
            show_refusal(form, err)
            return render_template(
                "wallet/download.html", form=form
            ), err.status if err.status == 429 else 422
        db.session.commit()
        flash(_("Carnet %(number)s is in your wallet.", number=carnet.carnet_number), "success")
        return redirect_to(url_for("wallet.carnet", carnet_id=carnet.id))
    status = 422 if form.errors else 200
    return render_template("wallet/download.html", form=form), status


@bp.get("/carnets/<int:carnet_id>")
@holder_required
def carnet(carnet_id: int):
    entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    tab = request.args.get("tab", "general")
    if tab not in ("general", "boxp", "history", "sets", "travels"):
        tab = "general"
    ctx = {
        "entry": entry,
        "carnet": carnet,
        "tab": tab,
        "sign_form": SignForm(),
        "items": [(i, item_description(carnet, i)) for i in carnet.items],
        "history": full_history(db.session, carnet.id),
        "paper": transition.paper_transactions(db.session, carnet) if tab == "history" else [],
        "paper_kinds": transition.PAPER_KIND_LABELS,
        "travels": travel_domain.travels_of(db.session, g.holder, carnet),
        "status": carnet.effective_status(_today()),
    }
    return render_template("wallet/carnet.html", **ctx)


@bp.get("/carnets/<int:carnet_id>/statement.pdf")
@limiter.limit("10 per minute")
@holder_required
def statement_pdf(carnet_id: int):
    """The signed statement of the carnet's history (docs/evidence.md): every transaction, its
    state, and a verification QR signing the whole."""
    _entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    st = evidence.statement(db.session, carnet)
    html = render_template(
        "wallet/statement_pdf.html", carnet=carnet, st=st, qr_svg=receipts.qr_svg(st["qr_text"])
    )
    pdf = receipts.render_pdf(html, current_app.static_folder)
    audit.record(
        db.session,
        "carnet.statement_issued",
        actor_type="holder",
        actor_id=g.holder.id,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        ip=request.remote_addr,
        data={"transactions": len(st["rows"]), "qr": st["qr_text"].rpartition("|")[0]},
    )
    db.session.commit()
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="eata-statement-{carnet.carnet_number}.pdf"'
    )
    return resp


@bp.post("/carnets/<int:carnet_id>/accept")
@holder_required
def accept(carnet_id: int):
    entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    form = SignForm()
    if form.validate_on_submit():
        if not form.accept.data:
            form.accept.errors = [_("Tick the box to accept the general list and your liability.")]
        else:
            try:
                travel_domain.accept_general_list(
                    db.session, g.holder, carnet, form.signed_name.data
                )
            except DomainError as err:
                db.session.rollback()
                show_refusal(form, err)
            else:
                db.session.commit()
                flash(_("You signed the general list: you can now prepare travels."), "success")
                return redirect_to(url_for("wallet.carnet", carnet_id=carnet.id))
    ctx = {
        "entry": entry,
        "carnet": carnet,
        "tab": "general",
        "sign_form": form,
        "items": [(i, item_description(carnet, i)) for i in carnet.items],
        "history": [],
        "travels": [],
        "status": carnet.effective_status(_today()),
    }
    return render_template("wallet/carnet.html", **ctx), 422


@bp.get("/carnets/<int:carnet_id>/share")
@holder_required
def share_carnet(carnet_id: int):
    """Sharing the whole carnet means forwarding eATA ID + PIN: the holder stays liable (F-35)."""
    entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    return render_template("wallet/share_carnet.html", carnet=carnet)


# --- vouchers (F-33, F-34) ---------------------------------------------------------------------


def _disclaimed(travel_id: int) -> bool:
    return travel_id in session.get("wallet_disclaimer", [])


@bp.route("/travels/<int:travel_id>/vouchers", methods=["GET", "POST"])
@holder_required
def vouchers(travel_id: int):
    t = or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    active = travel_domain.active_vouchers(t)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        session["wallet_disclaimer"] = (session.get("wallet_disclaimer", []) + [t.id])[-50:]
    if _disclaimed(t.id) and active:
        return redirect_to(url_for("wallet.voucher", voucher_id=active[0].id))
    return render_template("wallet/disclaimer.html", travel=t, form=form)


def _voucher_ctx(v) -> dict:
    t = v.travel
    carnet = db.session.get(Carnet, v.carnet_id)
    active = travel_domain.active_vouchers(t)
    idx = next(i for i, x in enumerate(active) if x.id == v.id)
    status = wallet_domain.voucher_status(db.session, v)
    cancellation = (
        cancellation_code_of(status.transaction)
        if status.state == "committed"
        and status.transaction is not None
        and status.transaction.state == "committed"
        else None
    )
    return {
        "voucher": v,
        "travel": t,
        "carnet": carnet,
        "code": code_of(v),
        "position": idx + 1,
        "count": len(active),
        "prev": active[idx - 1] if idx > 0 else None,
        "next": active[idx + 1] if idx + 1 < len(active) else None,
        "vstatus": status,
        "cancellation": cancellation,
        "poll": POLL_SECONDS,
        "key": wallet_domain.status_key(db.session, [v.id]),
        "verify_form": VerifyForm(),
        "share_form": ShareForm(),
        "empty": EmptyForm(),
        "shares": wallet_domain.shares_of(db.session, g.holder, v.id),
        "items": [
            (
                ti,
                item_description(carnet, next(i for i in carnet.items if i.id == ti.goods_item_id)),
            )
            for ti in t.items
        ],
    }


@bp.get("/vouchers/<int:voucher_id>")
@holder_required
def voucher(voucher_id: int):
    v = or_404(wallet_domain.holder_voucher, db.session, g.holder, voucher_id)
    if not _disclaimed(v.travel_id):
        return redirect_to(url_for("wallet.vouchers", travel_id=v.travel_id), 302)
    if is_poll("live"):
        if request.args.get("k") == wallet_domain.status_key(db.session, [v.id]):
            return Response(status=204)
        return render_page("wallet/voucher.html", block="live", **_voucher_ctx(v))
    return render_page("wallet/voucher.html", **_voucher_ctx(v))


def qr_svg(payload: str) -> Response:
    """An SVG with a viewBox only: crisp at any size (the page sizes it with CSS)."""
    buf = io.BytesIO()
    segno.make(payload, error="m").save(
        buf, kind="svg", border=2, omitsize=True, xmldecl=False, svgclass="qr", lineclass=None
    )
    resp = Response(buf.getvalue(), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/vouchers/<int:voucher_id>/qr.svg")
@holder_required(touch=False)
def voucher_qr(voucher_id: int):
    v = or_404(wallet_domain.holder_voucher, db.session, g.holder, voucher_id)
    carnet = db.session.get(Carnet, v.carnet_id)
    return qr_svg(qr_payload(carnet.eata_id, code_of(v)))


@bp.post("/transactions/<int:transaction_id>/verify")
@limiter.limit("20 per hour")
@holder_required
def verify(transaction_id: int):
    form = VerifyForm()
    txn = or_404(wallet_domain.holder_transaction, db.session, g.holder, transaction_id)
    if form.validate_on_submit():
        try:
            ok = check_verification_code(db.session, g.holder, transaction_id, form.code.data)
        except NotFound:
            abort(404)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            db.session.commit()
            if ok:
                flash(_("The verification code matches this committed transaction."), "success")
            else:
                flash(
                    _(
                        "This verification code does NOT match the transaction: ask the officer "
                        "again, and contact your issuing association if in doubt."
                    ),
                    "error",
                )
    return redirect_to(url_for("wallet.voucher", voucher_id=txn.voucher_id))


# --- notifications (F-34) ----------------------------------------------------------------------


@bp.get("/notifications")
@holder_required
def notifications():
    notes = wallet_domain.notifications_of(db.session, g.holder)
    unread_ids = {n.id for n in notes if n.read_at is None}
    wallet_domain.mark_read(db.session, g.holder)
    db.session.commit()
    g.holder_unread_cleared = True
    return render_template("wallet/notifications.html", notes=notes, unread_ids=unread_ids)
