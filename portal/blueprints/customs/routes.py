"""The customs desk (F-40 … F-46): the five-step wizard, receipt, reject, cancel, hold, release.

Routes stay thin: parse the request, call the transaction engine (portal.domain.transactions),
render. The wizard's state is a signed token in the URL (voucher, office, officer and the
one-time commit token), so back, reload and a double click replay the same commit token and the
engine answers with the first result (R-11).
"""
from __future__ import annotations

import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.blueprints.customs import bp
from portal.db import now_utc
from portal.domain import DomainError, NotFound, receipts
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain import vouchers as voucher_domain
from portal.domain.organisation import offices_for
from portal.domain.rules import label
from portal.domain.visibility import history_for_territory
from portal.extensions import db, limiter
from portal.models import Carnet, Hold, Office, Transaction, Travel, Voucher
from portal.web import permission_required

WIZARD_SALT = "customs-wizard"
WIZARD_MAX_AGE = 12 * 3600
STEPS = ("Scan", "Check carnet", "Check goods", "Commit", "Receipt")


# The qr-scanner library decodes in a Web Worker that it creates from a blob: URL; the wizard's
# pages (any of them can swap back to step 1) allow exactly that, nothing else is loosened.
WIZARD_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
              "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
              "worker-src 'self' blob:; base-uri 'none'; frame-ancestors 'none'; "
              "form-action 'self'")
WIZARD_ENDPOINTS = {"customs.new_transaction", "customs.lookup", "customs.check_carnet",
                    "customs.check_goods", "customs.commit", "customs.receipt",
                    "customs.hold", "customs.reject"}


@bp.after_request
def _wizard_csp(response):
    if request.endpoint in WIZARD_ENDPOINTS and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = WIZARD_CSP
    return response


# --- helpers ---------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=WIZARD_SALT)


def _my_offices() -> list[Office]:
    return [o for o in offices_for(db.session, current_user) if o.active]


def _default_office_id() -> int | None:
    offices = _my_offices()
    ids = [o.id for o in offices]
    if current_user.office_id in ids:
        return current_user.office_id
    return ids[0] if ids else None


def _office_or_none(office_id) -> Office | None:
    try:
        office_id = int(office_id)
    except (TypeError, ValueError):
        return None
    return next((o for o in _my_offices() if o.id == office_id), None)


def _officer(office: Office) -> engine.Officer:
    return engine.Officer(account=current_user._get_current_object(), office=office,
                          ip=request.remote_addr)


def _current_office() -> Office | None:
    """The office the officer works from: ?office= (within the region, R-16) or their own."""
    return _office_or_none(request.values.get("office_id") or _default_office_id())


class Wizard:
    """The state of one pass through the wizard, decoded from the signed token."""

    def __init__(self, token: str):
        try:
            data = _serializer().loads(token, max_age=WIZARD_MAX_AGE)
        except BadSignature:
            abort(404)
        if data.get("a") != current_user.id:
            abort(404)
        self.token = token
        self.voucher = db.session.get(Voucher, int(data["v"]))
        self.office = _office_or_none(data["o"])
        if self.voucher is None or self.office is None:
            abort(404)
        self.commit_token = data["t"]
        # one round trip for the carnet and everything the steps show of it
        self.carnet = db.session.scalar(
            select(Carnet).where(Carnet.id == self.voucher.carnet_id).options(
                selectinload(Carnet.items), selectinload(Carnet.countries),
                joinedload(Carnet.nga), joinedload(Carnet.issuing_association)))
        self.travel = db.session.scalar(select(Travel).where(
            Travel.id == self.voucher.travel_id).options(selectinload(Travel.items)))
        self._place = None

    @staticmethod
    def start(voucher: Voucher, office: Office) -> str:
        return _serializer().dumps({"v": voucher.id, "o": office.id, "a": current_user.id,
                                    "t": secrets.token_urlsafe(18)})

    @property
    def officer(self) -> engine.Officer:
        return _officer(self.office)

    def place(self):
        if self._place is None:
            self._place = engine.place_of(db.session, self.officer)
        return self._place


def _status(error: DomainError) -> int:
    """A refusal re-renders its step: 422 for invalid input, else the engine's status."""
    return 422 if error.status in (400, 404) else error.status


def _render(step: int, status: int = 200, **ctx):
    """The whole page, or only the #wizard fragment for htmx."""
    ctx.update(step=step, steps=STEPS)
    template = "customs/wizard.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        resp = current_app.make_response((render_block(template, "wizard", **ctx), status))
        if status == 200:
            resp.headers["HX-Push-Url"] = request.full_path.rstrip("?")
        resp.headers["Vary"] = "HX-Request"
        return resp
    return render_template(template, **ctx), status


def _carnet_context(wz: Wizard) -> dict:
    carnet = wz.carnet
    place = wz.place()
    items = []
    for item in sorted(carnet.items, key=lambda i: i.item_no):
        items.append({"no": item.item_no, "pieces": item.pieces,
                      "description": carnet_domain.item_description(carnet, item),
                      "marks": carnet_domain.item_marks(carnet, item) or "",
                      "value": item.value, "quantity": item.quantity, "unit": item.unit or "",
                      "origin": item.origin_country})
    return {
        "wz": wz, "carnet": carnet, "voucher": wz.voucher, "travel": wz.travel,
        "kind_label": label(wz.voucher.kind), "place": place,
        "holder": carnet_domain.holder_of(carnet),
        "representatives": carnet_domain.representatives_of(carnet),
        "items": items, "carnet_status": carnet.effective_status(now_utc().date()),
        "countries": sorted(c.country_code for c in carnet.countries),
        "history": history_for_territory(db.session, carnet.id, place.territory_id),
        "rejections": engine.rejections_for(db.session, carnet.id, place.territory_id),
        "holds": [h for h in engine.holds_of(db.session, territory_id=place.territory_id)
                  if h.carnet_id == carnet.id],
        "label": label,
    }


def _declared(ctx: dict) -> list[dict]:
    """The goods this voucher clears: the whole list for a validation, else the travel's."""
    voucher, travel = ctx["voucher"], ctx["travel"]
    by_no = {i["no"]: i for i in ctx["items"]}
    if voucher.kind == "validation":
        return [{**i, "qty": i["pieces"]} for i in ctx["items"]]
    return [{**by_no[ti.item_no], "qty": ti.quantity}
            for ti in sorted(travel.items, key=lambda t: t.item_no)]


def _is_eu_export(wz: Wizard) -> bool:
    return wz.voucher.kind == "export" and wz.place().is_eu


def _recent(office: Office | None) -> list[dict]:
    """The office's last ten transactions, shown under step 1 as in the guide."""
    if office is None:
        return []
    rows = list(db.session.scalars(
        select(Transaction).where(Transaction.office_id == office.id)
        .options(selectinload(Transaction.items))
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc()).limit(10)))
    carnets = {c.id: c for c in db.session.scalars(
        select(Carnet).where(Carnet.id.in_({t.carnet_id for t in rows})))} if rows else {}
    return [{"t": t, "carnet": carnets[t.carnet_id], "kind": label(t.kind),
             "goods": sum(i.quantity for i in t.items if i.line == "cleared")} for t in rows]


# --- step 1: scan or type --------------------------------------------------------------------

@bp.get("/transactions/new")
@permission_required("process_carnet")
def new_transaction():
    office = _office_or_none(_default_office_id())
    return _render(1, offices=_my_offices(), form={"office_id": _default_office_id()},
                   errors={}, recent=_recent(office))


@bp.post("/transactions/new")
@permission_required("process_carnet")
@limiter.limit("60/minute")
def lookup():
    form = {k: (request.form.get(k) or "").strip() for k in ("carnet", "code", "qr", "office_id")}
    errors: dict[str, str] = {}
    office = _office_or_none(form["office_id"])
    if office is None:
        errors["office_id"] = "Choose one of the offices of your region."
    carnet_ref, code = form["carnet"], form["code"]
    if form["qr"]:
        try:
            eata_id, code = voucher_domain.parse_qr_payload(form["qr"])
            carnet_ref = str(eata_id)
            form.update(carnet=carnet_ref, code=code)
        except DomainError as e:
            errors["qr"] = e.message
    else:
        if not carnet_ref:
            errors["carnet"] = "Type the carnet's eATA ID or carnet number."
        if not code:
            errors["code"] = "Type the transaction code."
    if not errors:
        try:
            voucher = voucher_domain.lookup_voucher(
                db.session, carnet_ref, code, client_key=f"account:{current_user.id}",
                account_id=current_user.id, customs_id=g.tenant.id, ip=request.remote_addr)
        except DomainError as e:
            db.session.rollback()
            errors["code"] = e.message
        else:
            token = Wizard.start(voucher, office)
            return redirect(url_for("customs.check_carnet", w=token), 303)
    return _render(1, 422, offices=_my_offices(), form=form, errors=errors,
                   recent=_recent(office))


# --- step 2: check the carnet; hold or reject ------------------------------------------------

@bp.get("/transactions/w/<w>/carnet")
@permission_required("process_carnet")
def check_carnet(w: str):
    wz = Wizard(w)
    return _render(2, **_carnet_context(wz), errors={})


@bp.post("/transactions/w/<w>/hold")
@permission_required("process_carnet")
def hold(w: str):
    wz = Wizard(w)
    reason = request.form.get("reason", "")
    try:
        held = engine.hold_carnet(db.session, wz.voucher.id, wz.officer, reason)
    except DomainError as e:
        db.session.rollback()
        return _render(2, _status(e), **_carnet_context(wz), errors={e.field or "hold": e.message},
                       hold_reason=reason)
    db.session.commit()
    flash(f"Carnet {wz.carnet.carnet_number} is on hold at {held.office_name}.", "success")
    return redirect(url_for("customs.on_hold"), 303)


@bp.post("/transactions/w/<w>/reject")
@permission_required("process_carnet")
def reject(w: str):
    wz = Wizard(w)
    reason = request.form.get("reason", "")
    try:
        engine.reject_voucher(db.session, wz.voucher.id, wz.officer, reason)
    except DomainError as e:
        db.session.rollback()
        field = "reject_reason" if e.field == "reason" else "reject"
        return _render(2, _status(e), **_carnet_context(wz), errors={field: e.message},
                       reject_reason=reason)
    db.session.commit()
    flash(f"The {label(wz.voucher.kind)} of carnet {wz.carnet.carnet_number} was rejected. "
          f"The holder was told; the voucher stays usable.", "success")
    return redirect(url_for("customs.new_transaction"), 303)


# --- step 3: check the goods -----------------------------------------------------------------

@bp.route("/transactions/w/<w>/goods", methods=["GET", "POST"])
@permission_required("process_carnet")
def check_goods(w: str):
    wz = Wizard(w)
    if request.method == "POST":
        marks = {int(k[6:]): v for k, v in request.form.items()
                 if k.startswith("marks_") and k[6:].isdigit() and len(k) < 12}
        try:
            changed = engine.mark_goods(db.session, wz.voucher.id, wz.officer, marks)
        except DomainError as e:
            db.session.rollback()
            ctx = _carnet_context(wz)
            declared = _declared(ctx)
            field = e.field if e.field in {f"marks_{i['no']}" for i in declared} else "marks"
            return _render(3, _status(e), **ctx, declared=declared,
                           errors={field: e.message}, values=request.form)
        db.session.commit()
        if changed:
            flash("Identification marks saved.", "success")
        return redirect(url_for("customs.check_goods", w=w), 303)
    ctx = _carnet_context(wz)
    return _render(3, **ctx, declared=_declared(ctx), errors={}, values={})


# --- step 4: commit --------------------------------------------------------------------------

def _commit_form(wz: Wizard) -> tuple[dict, str | None]:
    kind = wz.voucher.kind
    f = request.form
    fields: dict = {}
    for name in ("reference", "remarks"):
        if f.get(name, "").strip():
            fields[name] = f.get(name)
    if kind == "validation" and f.get("goods_examined") in ("yes", "no"):
        fields["goods_examined"] = f.get("goods_examined") == "yes"
    if kind in ("export", "import", "transit_open") and f.get("final_date"):
        fields["final_date"] = f.get("final_date")
    if kind == "transit_open":
        fields["customs_seals"] = f.get("customs_seals", "")
    if kind == "reexport":
        fields["action_not_reexported"] = f.get("action_not_reexported", "")
        fields["action_not_produced"] = f.get("action_not_produced", "")
    if kind == "reimport":
        for name in ("not_reimported", "processed_abroad"):
            lines = {}
            for key, value in f.items():
                if key.startswith(name + "_") and value.strip():
                    try:
                        lines[int(key[len(name) + 1:])] = int(value)
                    except ValueError:
                        raise DomainError("Give a whole number of pieces.", field=name) from None
            if lines:
                fields[name] = lines
    step = f.get("step") or None
    return fields, step


@bp.route("/transactions/w/<w>/commit", methods=["GET", "POST"])
@permission_required("process_carnet")
def commit(w: str):
    wz = Wizard(w)
    ctx = _carnet_context(wz)
    ctx.update(declared=_declared(ctx), eu_export=_is_eu_export(wz), values=request.form)
    if request.method == "GET":
        return _render(4, **ctx, errors={})
    try:
        fields, step = _commit_form(wz)
        result = engine.commit_voucher(db.session, wz.voucher.id, wz.officer, fields=fields,
                                       step=step, commit_token=wz.commit_token)
    except DomainError as e:
        db.session.rollback()
        return _render(4, _status(e), **ctx, errors={e.field or "commit": e.message})
    db.session.commit()
    return redirect(url_for("customs.receipt", transaction_id=result.transaction_id), 303)


# --- step 5: receipt -------------------------------------------------------------------------

def _own_transaction(transaction_id: int) -> Transaction:
    txn = db.session.get(Transaction, transaction_id)
    if txn is None or txn.customs_id != g.tenant.id:
        abort(404)
    return txn


@bp.get("/transactions/<int:transaction_id>/receipt")
@permission_required("process_carnet")
def receipt(transaction_id: int):
    txn = _own_transaction(transaction_id)
    data = receipts.receipt_data(db.session, txn)
    return _render(5, r=data, qr_svg=receipts.verification_qr_svg(data))


@bp.get("/transactions/<int:transaction_id>/receipt.pdf")
@permission_required("process_carnet")
def receipt_pdf(transaction_id: int):
    txn = _own_transaction(transaction_id)
    data = receipts.receipt_data(db.session, txn)
    html = render_template("customs/receipt_pdf.html", r=data,
                           qr_svg=receipts.verification_qr_svg(data))
    pdf = receipts.render_pdf(html, current_app.static_folder)
    resp = current_app.response_class(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="eata-receipt-{data["carnet_number"]}-{txn.id}.pdf"')
    return resp


# --- last transactions and cancellation (F-44, F-45) -----------------------------------------

def _last_context(office: Office | None) -> dict:
    rows = engine.last_commits(db.session, office.id, limit=30) if office else []
    return {"office": office, "offices": _my_offices(), "rows": rows, "label": label}


@bp.get("/transactions/last")
@permission_required("process_carnet")
def last_transactions():
    return render_template("customs/last.html", **_last_context(_current_office()), errors={})


@bp.post("/transactions/<int:transaction_id>/cancel")
@permission_required("process_carnet")
@limiter.limit("30/minute")
def cancel(transaction_id: int):
    txn = _own_transaction(transaction_id)
    office = _office_or_none(request.form.get("office_id") or txn.office_id) or \
        _office_or_none(_default_office_id())
    if office is None:
        abort(404)
    try:
        engine.cancel_transaction(db.session, txn.id, _officer(office),
                                  request.form.get("cancellation_code", ""),
                                  request.form.get("reason", ""))
    except DomainError as e:
        db.session.rollback()
        errors = {txn.id: {e.field or "cancel": e.message}}
        return render_template("customs/last.html", **_last_context(office), errors=errors,
                               values=request.form), _status(e)
    db.session.commit()
    flash(f"The {label(txn.kind)} of {txn.committed_at.strftime('%d/%m/%Y %H:%M')} was "
          f"cancelled.", "success")
    return redirect(url_for("customs.last_transactions", office_id=office.id), 303)


# --- on hold and release (F-46) --------------------------------------------------------------

def _holds() -> list[dict]:
    rows = db.session.scalars(select(Hold).where(
        Hold.customs_id == g.tenant.id, Hold.released_at.is_(None))
        .order_by(Hold.held_at.desc())).all()
    out = []
    for h in rows:
        carnet = db.session.get(Carnet, h.carnet_id)
        voucher = db.session.get(Voucher, h.voucher_id) if h.voucher_id else None
        out.append({"hold": h, "carnet": carnet, "holder": carnet_domain.holder_of(carnet),
                    "kind": label(voucher.kind) if voucher else ""})
    return out


@bp.get("/holds")
@permission_required("process_carnet")
def on_hold():
    return render_template("customs/holds.html", rows=_holds(), errors={})


@bp.post("/holds/<int:hold_id>/release")
@permission_required("process_carnet")
def release(hold_id: int):
    held = db.session.get(Hold, hold_id)
    if held is None or held.customs_id != g.tenant.id:
        abort(404)
    office = _office_or_none(request.form.get("office_id") or _default_office_id())
    try:
        if office is None:
            raise DomainError("Choose one of the offices of your region.")
        engine.release_hold(db.session, held.id, _officer(office))
    except NotFound:
        abort(404)
    except DomainError as e:
        db.session.rollback()
        return render_template("customs/holds.html", rows=_holds(),
                               errors={held.id: e.message}), _status(e)
    db.session.commit()
    flash("The carnet was released.", "success")
    return redirect(url_for("customs.on_hold"), 303)
