"""The wallet's carnets, travels, vouchers and notifications (F-30 … F-34, F-38, R-09)."""

from __future__ import annotations

import segno
from flask import Response, abort, flash, g, render_template, request, session, url_for

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import (
    DownloadForm,
    EmptyForm,
    ShareForm,
    SignForm,
    TravelForm,
    VerifyForm,
    choices,
    put_error,
)
from portal.blueprints.wallet.session import holder_required
from portal.domain import DomainError, NotFound
from portal.domain import travels as travel_domain
from portal.domain import wallet as wallet_domain
from portal.domain.carnets import SET_LABELS, STATUS_LABELS, item_description
from portal.domain.rules import country_name, label, territory_of
from portal.domain.transactions import cancellation_code_of, check_verification_code
from portal.domain.visibility import full_history
from portal.domain.vouchers import code_of, format_code, qr_payload
from portal.extensions import db, limiter
from portal.models import Carnet, Travel
from portal.web import is_poll, redirect_to, render_page

POLL_SECONDS = 3


@bp.app_template_filter("ddmmyyyy")
def ddmmyyyy(value) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y %H:%M" if hasattr(value, "hour") else "%d/%m/%Y")


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
    }


def _or_404(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        abort(404)


# --- carnets (F-30, F-31) ----------------------------------------------------------------------


@bp.get("/carnets")
@holder_required
def carnets():
    rows = wallet_domain.wallet_carnets(db.session, g.holder)
    return render_template("wallet/carnets.html", rows=rows, today=_today())


def _today():
    from portal.db import now_utc

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
                raise DomainError("Give the eATA ID or the carnet number.", field="carnet_ref")
            if not pin:
                raise DomainError("Give the carnet PIN.", field="pin")
            carnet = wallet_domain.download_carnet(
                db.session, g.holder, ref, pin, ip=request.remote_addr
            )
        except DomainError as err:
            db.session.rollback()
            put_error(form, err)
            return render_template(
                "wallet/download.html", form=form
            ), err.status if err.status == 429 else 422
        db.session.commit()
        flash(f"Carnet {carnet.carnet_number} is in your wallet.", "success")
        return redirect_to(url_for("wallet.carnet", carnet_id=carnet.id))
    status = 422 if form.errors else 200
    return render_template("wallet/download.html", form=form), status


@bp.get("/carnets/<int:carnet_id>")
@holder_required
def carnet(carnet_id: int):
    entry, carnet = _or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
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
        "travels": travel_domain.travels_of(db.session, g.holder, carnet),
        "status": carnet.effective_status(_today()),
    }
    return render_template("wallet/carnet.html", **ctx)


@bp.post("/carnets/<int:carnet_id>/accept")
@holder_required
def accept(carnet_id: int):
    entry, carnet = _or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    form = SignForm()
    if form.validate_on_submit():
        if not form.accept.data:
            form.accept.errors = ["Tick the box to accept the general list and your liability."]
        else:
            try:
                travel_domain.accept_general_list(
                    db.session, g.holder, carnet, form.signed_name.data
                )
            except DomainError as err:
                db.session.rollback()
                put_error(form, err)
            else:
                db.session.commit()
                flash("You signed the general list: you can now prepare travels.", "success")
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
    entry, carnet = _or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    return render_template("wallet/share_carnet.html", carnet=carnet)


# --- travels (F-32, F-38, R-09) ----------------------------------------------------------------


def _travel_form(carnet: Carnet, travel: Travel | None = None) -> TravelForm:
    form = TravelForm(obj=None)
    box_p = sorted(c.country_code for c in carnet.countries)
    names = {c: country_name(db.session, c) for c in [carnet.departure_country, *box_p]}
    route = [(carnet.departure_country, names[carnet.departure_country])] + [
        (c, names[c]) for c in box_p if c != carnet.departure_country
    ]
    form.departure_country.choices = choices(route)
    form.transit_countries.choices = choices([(c, names[c]) for c in box_p])
    if travel is not None and request.method == "GET":
        form.nickname.data = travel.nickname
        form.departure_country.data = travel.departure_country
        form.destination_country.data = travel.destination_country
        form.transit_countries.data = list(travel.transit_countries or [])
        form.transport_mode.data = travel.transport_mode
        form.location.data = travel.location
        form.extra_details.data = travel.extra_details
        form.packaging_details.data = travel.packaging_details
    elif request.method == "GET":
        form.departure_country.data = carnet.departure_country
    if request.method == "GET" and request.args.get("departure_country") in names:
        form.departure_country.data = request.args["departure_country"]  # the form's refresh
    # leaving from the home customs territory, the destination is abroad: home is not offered
    # (it is offered for the way back, when the departure is abroad)
    home = territory_of(db.session, carnet.departure_country)
    leaving_home = (
        territory_of(db.session, form.departure_country.data or carnet.departure_country) == home
    )
    form.destination_country.choices = choices(
        [(c, n) for c, n in route if not (leaving_home and territory_of(db.session, c) == home)]
    )
    return form


def _quantities(carnet: Carnet) -> dict[int, int]:
    """The item picker's quantities: qty-<item no> fields (empty or 0 = not taken)."""
    out: dict[int, int] = {}
    for item in carnet.items:
        raw = (request.form.get(f"qty-{item.item_no}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not raw.isascii() or len(raw) > 6:
            raise DomainError(f"Item {item.item_no}: give a whole number of pieces.", field="items")
        if int(raw):
            out[item.item_no] = int(raw)
    return out


def _transits_left(carnet: Carnet, travel: Travel | None) -> int:
    left = next((s.remaining for s in carnet.sets if s.kind == "transit"), 0)
    if travel is not None:
        left += (travel.sets_consumed or {}).get("transit", 0)
    return left


def _render_travel_form(form, carnet, travel, quantities, status=200):
    items = [(i, item_description(carnet, i), quantities.get(i.item_no, 0)) for i in carnet.items]
    return render_template(
        "wallet/travel_form.html",
        form=form,
        carnet=carnet,
        travel=travel,
        items=items,
        transits_left=_transits_left(carnet, travel),
    ), status


def _save_travel(carnet: Carnet, travel: Travel | None):
    form = _travel_form(carnet, travel)
    quantities = {t.item_no: t.quantity for t in travel.items} if travel is not None else {}
    if request.method == "POST":
        ok = form.validate_on_submit()
        try:
            quantities = _quantities(carnet)
        except DomainError as err:
            put_error(form, err)
            ok = False
        if ok:
            transits = form.transit_countries.data or []
            if transits and _transits_left(carnet, travel) < len(transits):
                form.transit_countries.errors = [
                    "This carnet has not enough transit sets left for these transit countries."
                ]
            else:
                data = travel_domain.TravelInput(
                    departure_country=form.departure_country.data,
                    destination_country=form.destination_country.data,
                    transport_mode=form.transport_mode.data,
                    items=quantities,
                    signed_name=form.signed_name.data,
                    transit_countries=transits,
                    nickname=form.nickname.data or "",
                    location=form.location.data or "",
                    extra_details=form.extra_details.data or "",
                    packaging_details=form.packaging_details.data or "",
                )
                try:
                    if travel is None:
                        saved = travel_domain.prepare_travel(db.session, g.holder, carnet, data)
                    else:
                        saved = travel_domain.edit_travel(db.session, g.holder, travel.id, data)
                except DomainError as err:
                    db.session.rollback()
                    db.session.refresh(carnet)
                    put_error(form, err)
                else:
                    db.session.commit()
                    flash("Your travel is saved: open its vouchers at customs.", "success")
                    return redirect_to(url_for("wallet.travel", travel_id=saved.id))
        return _render_travel_form(form, carnet, travel, quantities, 422)
    return _render_travel_form(form, carnet, travel, quantities)


@bp.route("/carnets/<int:carnet_id>/travels/new", methods=["GET", "POST"])
@holder_required
def new_travel(carnet_id: int):
    entry, carnet = _or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    if entry.accepted_at is None:
        flash("Sign the carnet's general list before your first travel.", "error")
        return redirect_to(url_for("wallet.carnet", carnet_id=carnet.id), 302)
    return _save_travel(carnet, None)


@bp.get("/travels")
@holder_required
def travels():
    rows = []
    for _entry, carnet in wallet_domain.wallet_carnets(db.session, g.holder):
        for t in travel_domain.travels_of(db.session, g.holder, carnet):
            rows.append((carnet, t))
    rows.sort(key=lambda r: r[1].created_at, reverse=True)
    return render_template(
        "wallet/travels.html", rows=rows, is_transacted=travel_domain.is_transacted
    )


def _travel_ctx(travel: Travel) -> dict:
    carnet = db.session.get(Carnet, travel.carnet_id)
    vouchers = travel_domain.active_vouchers(travel)
    statuses = {v.id: wallet_domain.voucher_status(db.session, v) for v in vouchers}
    return {
        "travel": travel,
        "carnet": carnet,
        "vouchers": vouchers,
        "statuses": statuses,
        "key": wallet_domain.status_key(db.session, [v.id for v in vouchers]),
        "poll": POLL_SECONDS,
        "editable": not travel_domain.is_transacted(travel),
        "items": [
            (
                ti,
                item_description(carnet, next(i for i in carnet.items if i.id == ti.goods_item_id)),
            )
            for ti in travel.items
        ],
    }


@bp.get("/travels/<int:travel_id>")
@holder_required
def travel(travel_id: int):
    """The travel; polled by htmx (id="live"), only the vouchers' states — or an empty 204 while
    nothing changed, so a poll costs a few COUNT queries."""
    t = _or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    if is_poll("live"):
        ids = [v.id for v in travel_domain.active_vouchers(t)]
        if request.args.get("k") == wallet_domain.status_key(db.session, ids):
            return Response(status=204)
        return render_page("wallet/travel.html", block="live", empty=EmptyForm(), **_travel_ctx(t))
    return render_page("wallet/travel.html", empty=EmptyForm(), **_travel_ctx(t))


@bp.route("/travels/<int:travel_id>/edit", methods=["GET", "POST"])
@holder_required
def edit_travel(travel_id: int):
    t = _or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    if travel_domain.is_transacted(t):
        flash(
            "This travel cannot be changed: customs already committed one of its vouchers.", "error"
        )
        return redirect_to(url_for("wallet.travel", travel_id=t.id), 302)
    carnet = db.session.get(Carnet, t.carnet_id)
    return _save_travel(carnet, t)


@bp.post("/travels/<int:travel_id>/delete")
@holder_required
def delete_travel(travel_id: int):
    t = _or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    carnet_id = t.carnet_id
    try:
        travel_domain.delete_travel(db.session, g.holder, t.id)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect_to(url_for("wallet.travel", travel_id=travel_id))
    db.session.commit()
    flash("The travel is deleted; its sets are back on the carnet.", "success")
    return redirect_to(url_for("wallet.carnet", carnet_id=carnet_id, tab="travels"))


# --- vouchers (F-33, F-34) ---------------------------------------------------------------------


def _disclaimed(travel_id: int) -> bool:
    return travel_id in session.get("wallet_disclaimer", [])


@bp.route("/travels/<int:travel_id>/vouchers", methods=["GET", "POST"])
@holder_required
def vouchers(travel_id: int):
    t = _or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
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
    v = _or_404(wallet_domain.holder_voucher, db.session, g.holder, voucher_id)
    if not _disclaimed(v.travel_id):
        return redirect_to(url_for("wallet.vouchers", travel_id=v.travel_id), 302)
    if is_poll("live"):
        if request.args.get("k") == wallet_domain.status_key(db.session, [v.id]):
            return Response(status=204)
        return render_page("wallet/voucher.html", block="live", **_voucher_ctx(v))
    return render_page("wallet/voucher.html", **_voucher_ctx(v))


def qr_svg(payload: str) -> Response:
    """An SVG with a viewBox only: crisp at any size (the page sizes it with CSS)."""
    import io

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
    v = _or_404(wallet_domain.holder_voucher, db.session, g.holder, voucher_id)
    carnet = db.session.get(Carnet, v.carnet_id)
    return qr_svg(qr_payload(carnet.eata_id, code_of(v)))


@bp.post("/transactions/<int:transaction_id>/verify")
@limiter.limit("20 per hour")
@holder_required
def verify(transaction_id: int):
    form = VerifyForm()
    txn = _or_404(wallet_domain.holder_transaction, db.session, g.holder, transaction_id)
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
                flash("The verification code matches this committed transaction.", "success")
            else:
                flash(
                    "This verification code does NOT match the transaction: ask the officer "
                    "again, and contact your issuing association if in doubt.",
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
