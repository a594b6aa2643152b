"""The wallet's pre-notifications and pre-declarations (F-50): send one for a voucher of a
prepared travel to a chosen customs office, change or withdraw it until customs act on it. The
travel page shows what customs did, live (F-52: wallet/travels.py polls it)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import EmptyForm, PredeclarationForm, choices
from portal.blueprints.wallet.routes import or_404
from portal.blueprints.wallet.session import holder_required
from portal.domain import DomainError, uploads
from portal.domain import predeclarations as pd
from portal.domain import wallet as wallet_domain
from portal.domain.predeclarations import attachments
from portal.domain.rules import country_name, label
from portal.extensions import db
from portal.models import Carnet, Country, Predeclaration, Voucher
from portal.web import redirect_to, show_refusal


def _form(voucher: Voucher, p: Predeclaration | None) -> PredeclarationForm:
    form = PredeclarationForm()
    form.office_id.choices = choices(
        [("", _("Choose an office"))]
        + [
            (str(o.id), f"{o.name} ({country_name(db.session, o.country_code)})")
            if o.country_code
            else (str(o.id), o.name)
            for o in pd.offices_for_voucher(db.session, voucher)
        ]
    )
    form.rep_country.choices = choices(
        [("", "—")]
        + [(c.code, c.name) for c in db.session.scalars(select(Country).order_by(Country.name))]
    )
    if request.method == "GET":
        if p is not None:
            rep = pd.representative_of(p)
            form.office_id.data = str(p.office_id)
            form.expected_date.data = p.expected_at.date().isoformat()
            form.expected_time.data = p.expected_at.time().isoformat("minutes")  # <input type=time>
            form.carriage.data = p.carriage
            form.shipment_number.data = p.shipment_number
            form.transport_mode.data = p.transport_mode
            form.transport_id.data = p.transport_id
            form.rep_name.data = rep.get("name", "")
            form.rep_eori.data = rep.get("eori", "")
            form.rep_city.data = rep.get("city", "")
            form.rep_country.data = rep.get("country", "")
            form.option.data = p.option
        else:
            travel = voucher.travel
            form.transport_mode.data = travel.transport_mode
            form.expected_date.data = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    return form


def _input(form: PredeclarationForm) -> pd.PredeclarationInput:
    return pd.PredeclarationInput(
        office_id=form.office_id.data,
        expected_date=form.expected_date.data,
        expected_time=form.expected_time.data,
        carriage=form.carriage.data or "",
        transport_mode=form.transport_mode.data or "",
        option=form.option.data or "",
        shipment_number=form.shipment_number.data or "",
        transport_id=form.transport_id.data or "",
        representative={
            "name": form.rep_name.data or "",
            "eori": form.rep_eori.data or "",
            "city": form.rep_city.data or "",
            "country": form.rep_country.data or "",
        },
    )


def _render(form, voucher: Voucher, p: Predeclaration | None, status: int = 200):
    carnet = db.session.get(Carnet, voucher.carnet_id)
    return render_template(
        "wallet/predeclaration_form.html",
        form=form,
        voucher=voucher,
        travel=voucher.travel,
        carnet=carnet,
        p=p,
        kind=label(voucher.kind),
        attached=attachments.attachments_of(db.session, p.id) if p is not None else [],
    ), status


def _files() -> list[tuple[str | None, bytes]]:
    """The attached files, each read up to one byte over the guard's limit (enough to refuse
    it as too large without reading more)."""
    limit = uploads.Limits().max_bytes + 1
    return [
        (f.filename, f.stream.read(limit))
        for f in request.files.getlist("attachments")
        if f and f.filename
    ]


def _save(voucher: Voucher, p: Predeclaration | None):
    form = _form(voucher, p)
    if request.method == "POST" and form.validate_on_submit():
        storage = current_app.config["STORAGE_DIR"]
        stored: list = []
        try:
            # every file passes the upload guard before anything is saved
            checked = attachments.check_files(
                _files(), attachments.count(db.session, p.id) if p is not None else 0
            )
            if p is None:
                saved = pd.send(db.session, g.holder, voucher.id, _input(form))
            else:
                saved = pd.edit(db.session, g.holder, p.id, _input(form))
            stored = attachments.attach(db.session, saved, checked, storage)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            attachments.remove_stored(storage, stored)
            show_refusal(form, err)
        except Exception:
            db.session.rollback()
            attachments.remove_stored(storage, stored)
            raise
        else:
            flash(
                _("Your pre-declaration is sent to customs: the travel shows their answer.")
                if saved.option == "automatic"
                else _("Your pre-notification is sent to customs: the travel shows their answer."),
                "success",
            )
            return _back(voucher)
    if request.method == "POST":
        return _render(form, voucher, p, 422)
    return _render(form, voucher, p)


def _back(voucher: Voucher):
    return redirect_to(url_for("wallet.travel", travel_id=voucher.travel_id))


@bp.route("/vouchers/<int:voucher_id>/predeclaration", methods=["GET", "POST"])
@holder_required
def new_predeclaration(voucher_id: int):
    voucher = or_404(wallet_domain.holder_voucher, db.session, g.holder, voucher_id)
    return _save(voucher, None)


@bp.route("/predeclarations/<int:predeclaration_id>/edit", methods=["GET", "POST"])
@holder_required
def edit_predeclaration(predeclaration_id: int):
    p = or_404(pd.holder_predeclaration, db.session, g.holder, predeclaration_id)
    voucher = db.session.get(Voucher, p.voucher_id)
    if p.state != "pending":
        flash(
            _("Customs already acted on this pre-declaration: it can no longer be changed.")
            if p.option == "automatic"
            else _("Customs already acted on this pre-notification: it can no longer be changed."),
            "error",
        )
        return _back(voucher)
    return _save(voucher, p)


@bp.post("/predeclarations/<int:predeclaration_id>/withdraw")
@holder_required
def withdraw_predeclaration(predeclaration_id: int):
    p = or_404(pd.holder_predeclaration, db.session, g.holder, predeclaration_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    voucher = db.session.get(Voucher, p.voucher_id)
    try:
        pd.withdraw(db.session, g.holder, p.id)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _back(voucher)
    db.session.commit()
    flash(
        _("Your pre-declaration is withdrawn.")
        if p.option == "automatic"
        else _("Your pre-notification is withdrawn."),
        "success",
    )
    return _back(voucher)
