"""The wallet's prepared travels (F-32, F-38, R-09): plan, prepare, edit, delete, sign."""

from __future__ import annotations

from flask import Response, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import (
    EmptyForm,
    TravelForm,
    choices,
)
from portal.blueprints.wallet.routes import POLL_SECONDS, or_404
from portal.blueprints.wallet.session import holder_required
from portal.db import now_utc
from portal.domain import DomainError, predeclarations
from portal.domain import travels as travel_domain
from portal.domain import wallet as wallet_domain
from portal.domain.carnets import item_description
from portal.domain.rules import country_name, territory_of
from portal.domain.transition import paper_countries_on
from portal.extensions import db
from portal.models import Carnet, Travel
from portal.web import is_poll, redirect_to, render_page, show_refusal

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
            raise DomainError(
                _("Item %(item)s: give a whole number of pieces.", item=item.item_no), field="items"
            )
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
            show_refusal(form, err)
            ok = False
        if ok:
            transits = form.transit_countries.data or []
            if transits and _transits_left(carnet, travel) < len(transits):
                form.transit_countries.errors = [
                    _("This carnet has not enough transit sets left for these transit countries.")
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
                    show_refusal(form, err)
                else:
                    db.session.commit()
                    flash(_("Your travel is saved: open its vouchers at customs."), "success")
                    return redirect_to(url_for("wallet.travel", travel_id=saved.id))
        return _render_travel_form(form, carnet, travel, quantities, 422)
    return _render_travel_form(form, carnet, travel, quantities)


@bp.route("/carnets/<int:carnet_id>/travels/new", methods=["GET", "POST"])
@holder_required
def new_travel(carnet_id: int):
    entry, carnet = or_404(wallet_domain.wallet_carnet, db.session, g.holder, carnet_id)
    if entry.accepted_at is None:
        flash(_("Sign the carnet's general list before your first travel."), "error")
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


def _live_key(voucher_ids: list[int]) -> str:
    """What customs did to the vouchers and their pre-declarations (F-34, F-52)."""
    return (
        wallet_domain.status_key(db.session, voucher_ids)
        + "-"
        + predeclarations.status_key(db.session, voucher_ids)
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
        "predeclarations": predeclarations.of_vouchers(db.session, [v.id for v in vouchers]),
        "key": _live_key([v.id for v in vouchers]),
        "poll": POLL_SECONDS,
        "editable": not travel_domain.is_transacted(travel),
        # F-71: the countries of the travel still paper today — the paper carnet is used there
        "paper_countries": paper_countries_on(
            db.session,
            [travel.departure_country, *travel.transit_countries, travel.destination_country],
            now_utc().date(),
        ),
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
    t = or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    if is_poll("live"):
        ids = [v.id for v in travel_domain.active_vouchers(t)]
        if request.args.get("k") == _live_key(ids):
            return Response(status=204)
        return render_page("wallet/travel.html", block="live", empty=EmptyForm(), **_travel_ctx(t))
    return render_page("wallet/travel.html", empty=EmptyForm(), **_travel_ctx(t))


@bp.route("/travels/<int:travel_id>/edit", methods=["GET", "POST"])
@holder_required
def edit_travel(travel_id: int):
    t = or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
    if travel_domain.is_transacted(t):
        flash(
            _("This travel cannot be changed: customs already committed one of its vouchers."),
            "error",
        )
        return redirect_to(url_for("wallet.travel", travel_id=t.id), 302)
    carnet = db.session.get(Carnet, t.carnet_id)
    return _save_travel(carnet, t)


@bp.post("/travels/<int:travel_id>/delete")
@holder_required
def delete_travel(travel_id: int):
    t = or_404(travel_domain.get_travel, db.session, g.holder, travel_id)
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
    flash(_("The travel is deleted; its sets are back on the carnet."), "success")
    return redirect_to(url_for("wallet.carnet", carnet_id=carnet_id, tab="travels"))
