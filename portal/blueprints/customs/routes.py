"""The customs desk (F-40 … F-46): the five-step wizard, receipt, reject, cancel, hold, release.

Routes stay thin: parse the request, call the transaction engine (portal.domain.transactions),
render. The wizard's state is a signed token in the URL (voucher, office, officer and the
one-time commit token), so back, reload and a double click replay the same commit token and the
engine answers with the first result (R-11).
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.blueprints.customs import bp
from portal.db import now_utc
from portal.domain import DomainError, NotFound, receipts
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain import vouchers as voucher_domain
from portal.domain.organisation import office_within_reach, offices_for, offices_within_reach
from portal.domain.rules import label
from portal.domain.visibility import history_for_territory
from portal.extensions import db, limiter
from portal.models import (
    NGA,
    Carnet,
    CarnetCountry,
    GoodsItem,
    Hold,
    IssuingAssociation,
    Office,
    Transaction,
    TransactionItem,
    Travel,
    Voucher,
)
from portal import caches
from portal.web import MAX_ID, bounded_int, permission_required

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


def _default_office_id(offices: list[Office] | None = None) -> int | None:
    ids = [o.id for o in (offices if offices is not None else _my_offices())]
    if current_user.office_id in ids:
        return current_user.office_id
    return ids[0] if ids else None


def _office_or_none(office_id) -> Office | None:
    """An active office within the officer's reach (R-16), by id: one primary-key look-up."""
    try:
        office_id = int(office_id)
    except (TypeError, ValueError):
        return None
    if not 0 < office_id <= MAX_ID:
        return None
    office = db.session.get(Office, office_id)
    return office if office_within_reach(current_user, office) else None


def _officer(office: Office) -> engine.Officer:
    return engine.Officer(account=current_user._get_current_object(), office=office,
                          ip=request.remote_addr)


def _current_office() -> Office | None:
    """The office the officer works from: ?office= (within the region, R-16) or their own."""
    return _office_or_none(request.values.get("office_id") or _default_office_id())


# The decrypted general list and Box P of a carnet, per process, keyed by the carnet's id and
# updated_at (every change of the carnet, its items or their marks moves updated_at), so the
# steps of a wizard decrypt and load them once. Small and bounded.
_GOODS: OrderedDict[tuple, tuple[list[dict], list[str]]] = OrderedDict()
_GOODS_MAX = 256
_GOODS_LOCK = threading.Lock()


@caches.register("desk_goods_and_names")
def forget_goods() -> None:
    """Drop this process's caches of carnet goods and issuer names (tests)."""
    with _GOODS_LOCK:
        _GOODS.clear()
    _NAMES.clear()


def _goods_of(carnet: Carnet) -> tuple[list[dict], list[str]]:
    key = (carnet.id, carnet.updated_at)
    hit = _GOODS.get(key)
    if hit is not None:
        return hit
    goods = db.session.scalars(select(GoodsItem).where(GoodsItem.carnet_id == carnet.id)
                               .order_by(GoodsItem.item_no)).all()
    items = [{"no": item.item_no, "pieces": item.pieces,
              "description": carnet_domain.item_description(carnet, item),
              "marks": carnet_domain.item_marks(carnet, item) or "",
              "value": item.value, "quantity": item.quantity, "unit": item.unit or "",
              "origin": item.origin_country} for item in goods]
    countries = sorted(db.session.scalars(select(CarnetCountry.country_code).where(
        CarnetCountry.carnet_id == carnet.id)))
    with _GOODS_LOCK:
        _GOODS[key] = (items, countries)
        while len(_GOODS) > _GOODS_MAX:
            _GOODS.popitem(last=False)
    return items, countries


class Wizard:
    """The state of one pass through the wizard, decoded from the signed token: the voucher,
    its carnet and travel and the office, in one query."""

    def __init__(self, token: str):
        try:
            data = _serializer().loads(token, max_age=WIZARD_MAX_AGE)
        except BadSignature:
            abort(404)
        if data.get("a") != current_user.id:
            abort(404)
        self.token = token
        self.commit_token = data["t"]
        row = db.session.execute(
            select(Voucher, Carnet, Travel, Office)
            .join(Carnet, Carnet.id == Voucher.carnet_id)
            .join(Travel, Travel.id == Voucher.travel_id)
            .join(Office, Office.id == int(data["o"]))
            .where(Voucher.id == int(data["v"]))).first()
        if row is None or not office_within_reach(current_user, row[3]):
            abort(404)
        self.voucher, self.carnet, self.travel, self.office = row
        self._place = None

    @staticmethod
    def start(voucher: Voucher, office: Office) -> str:
        return _serializer().dumps({"v": voucher.id, "o": office.id, "a": current_user.id,
                                    "t": secrets.token_urlsafe(18)})

    def receipt_url(self) -> str | None:
        """The receipt of what this pass through the wizard committed (its one-time commit
        token), or None: Back or a reload after the commit shows the receipt again."""
        tid = engine.committed_by_token(db.session, self.commit_token)
        return url_for("customs.receipt", transaction_id=tid) if tid is not None else None

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


def _panel_shown() -> str:
    """The voucher whose carnet panel the officer's page shows (sent by wizard.js)."""
    return request.headers.get("X-Desk-Panel", "")


def _htmx() -> bool:
    return bool(request.headers.get("HX-Request")) and \
        not request.headers.get("HX-History-Restore-Request")


def _render(step: int, status: int = 200, panel=None, **ctx):
    """The whole page (stable shell: stepper, carnet panel; then the step), or for htmx only
    the step with the stepper swapped out of band, and the carnet panel only when the page
    shows another one. `panel` is a callable giving the panel's context (or None: no panel)."""
    ctx.update(step=step, steps=STEPS)
    key = str(ctx["voucher"].id) if panel is not None else ""
    if _htmx():
        ctx["oob"] = True
        if key != _panel_shown():
            ctx["panel_oob"] = True
            ctx["panel"] = panel() if panel is not None else None
        resp = current_app.make_response((render_template("customs/fragment.html", **ctx),
                                          status))
        if status == 200:
            resp.headers["HX-Push-Url"] = request.full_path.rstrip("?")
        resp.headers["Vary"] = "HX-Request, X-Desk-Panel"
        return resp
    ctx["panel"] = panel() if panel is not None else None
    resp = current_app.make_response((render_template("customs/wizard.html", **ctx), status))
    resp.headers["Vary"] = "HX-Request, X-Desk-Panel"
    return resp


# Names of the issuing NGAs and associations (reference data), per process, NAMES_TTL at most.
NAMES_TTL = 60.0
_NAMES: dict[tuple, tuple[float, str]] = {}


def _name_of(model, object_id: int | None) -> str:
    if object_id is None:
        return ""
    now = time.monotonic()
    hit = _NAMES.get((model.__name__, object_id))
    if hit is not None and hit[0] > now:
        return hit[1]
    name = db.session.scalar(select(model.name).where(model.id == object_id)) or ""
    if len(_NAMES) > 10_000:
        _NAMES.clear()
    _NAMES[(model.__name__, object_id)] = (now + NAMES_TTL, name)
    return name


def _panel(wz: Wizard):
    """The carnet panel of steps 2–5: the carnet and its holder, what the officer checks."""
    def build() -> dict:
        carnet = wz.carnet
        return {"carnet": carnet, "holder": carnet_domain.holder_of(carnet),
                "representatives": carnet_domain.representatives_of(carnet),
                "carnet_status": carnet.effective_status(now_utc().date()),
                "countries": _goods_of(carnet)[1], "issuer": _name_of(NGA, carnet.nga_id),
                "association": _name_of(IssuingAssociation, carnet.issuing_association_id),
                "kind_label": label(wz.voucher.kind), "voucher": wz.voucher,
                "travel": wz.travel, "place": wz.place()}
    return build


def _wizard_context(wz: Wizard) -> dict:
    return {"wz": wz, "carnet": wz.carnet, "voucher": wz.voucher, "travel": wz.travel,
            "kind_label": label(wz.voucher.kind), "label": label}


def _history_context(wz: Wizard) -> dict:
    """The history the territory may see and this territory's rejections of the carnet."""
    carnet_id, territory_id = wz.carnet.id, wz.place().territory_id
    return {"history": history_for_territory(db.session, carnet_id, territory_id),
            "rejections": engine.rejections_for(db.session, carnet_id, territory_id),
            "label": label}


def _check_context(wz: Wizard) -> dict:
    """Step 2's own content: this territory's holds of the carnet; the general list and the
    history in a full page (an htmx answer loads them after the step: carnet_lists)."""
    ctx = {
        **_wizard_context(wz),
        "holds": db.session.scalars(select(Hold).where(
            Hold.carnet_id == wz.carnet.id, Hold.territory_id == wz.place().territory_id,
            Hold.released_at.is_(None)).order_by(Hold.held_at.desc())).all(),
    }
    if not _htmx():
        ctx.update(items=_goods_of(wz.carnet)[0], **_history_context(wz))
    return ctx


def _declared(wz: Wizard) -> list[dict]:
    """The goods this voucher clears as declared (`engine.declared_goods`): the whole list for a
    validation, the pre-exportation's at the exit of a pre-exported exportation, else the
    travel's."""
    items = _goods_of(wz.carnet)[0]
    rows = engine.declared_goods(db.session, wz.voucher)
    if rows is None:
        return [{**i, "qty": i["pieces"]} for i in items]
    by_no = {i["no"]: i for i in items}
    return [{**by_no[no], "qty": qty} for no, qty in rows]


def _is_eu_export(wz: Wizard) -> bool:
    return wz.voucher.kind == "export" and wz.place().is_eu


def _recent(office_id: int | None) -> list[dict]:
    """The office's last ten transactions, shown under step 1 as in the guide: one query, which
    also checks that the office is one of the officer's (R-16; another's lists nothing)."""
    if office_id is None:
        return []
    goods = (select(func.coalesce(func.sum(TransactionItem.quantity), 0))
             .where(TransactionItem.transaction_id == Transaction.id,
                    TransactionItem.line == "cleared").scalar_subquery())
    rows = db.session.execute(
        select(Transaction.id, Transaction.kind, Transaction.committed_at, Carnet.eata_id,
               Carnet.carnet_number, goods.label("goods"))
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .join(Office, Office.id == Transaction.office_id)
        .where(Transaction.office_id == office_id, *offices_within_reach(current_user))
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc()).limit(10)).all()
    return [{"id": r.id, "eata_id": r.eata_id, "carnet_number": r.carnet_number,
             "kind": label(r.kind), "at": r.committed_at, "goods": r.goods} for r in rows]


# --- step 1: scan or type --------------------------------------------------------------------

def _step1(status: int, form: dict, errors: dict, offices=None):
    offices = offices if offices is not None else _my_offices()
    return _render(1, status, offices=offices, form=form, errors=errors)


@bp.get("/transactions/new")
@permission_required("process_carnet")
def new_transaction():
    offices = _my_offices()
    return _step1(200, {"office_id": _default_office_id(offices)}, {}, offices)


@bp.get("/transactions/recent")
@permission_required("process_carnet")
def recent():
    """Step 1's list of the office's last ten transactions (loaded by htmx after the step)."""
    try:
        office_id = bounded_int(request.args.get("office_id") or _default_office_id())
    except (TypeError, ValueError):
        office_id = None
    return render_template("customs/_recent.html", recent=_recent(office_id))


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
    if not form["qr"]:
        if not carnet_ref:
            errors["carnet"] = "Type the carnet's eATA ID or carnet number."
        if not code:
            errors["code"] = "Type the transaction code."
    if not errors:
        # one look-up for a typed code or a scanned QR: both count wrong guesses
        who = {"client_key": f"account:{current_user.id}", "account_id": current_user.id,
               "customs_id": g.tenant.id, "ip": request.remote_addr}
        try:
            voucher = (voucher_domain.lookup_by_qr(db.session, form["qr"], **who)
                       if form["qr"] else
                       voucher_domain.lookup_voucher(db.session, carnet_ref, code, **who))
        except DomainError as e:
            db.session.rollback()
            errors[e.field or "code"] = e.message
        else:
            token = Wizard.start(voucher, office)
            return redirect(url_for("customs.check_carnet", w=token), 303)
    return _step1(422, form, errors)


# --- step 2: check the carnet; hold or reject ------------------------------------------------

def _leave_wizard(url: str):
    """After a hold or a rejection the officer goes to a whole page (with its flash message):
    a 303 for a plain form, HX-Redirect for htmx (a 303 would be followed into #step)."""
    if _htmx():
        return current_app.response_class(status=200, headers={"HX-Redirect": url})
    return redirect(url, 303)


def _step2(wz: Wizard, status: int = 200, **extra):
    return _render(2, status, panel=_panel(wz), **_check_context(wz), **extra)


@bp.get("/transactions/w/<w>/carnet")
@permission_required("process_carnet")
def check_carnet(w: str):
    return _step2(Wizard(w), errors={})


@bp.post("/transactions/w/<w>/hold")
@permission_required("process_carnet")
def hold(w: str):
    wz = Wizard(w)
    reason = request.form.get("reason", "")
    try:
        held = engine.hold_carnet(db.session, wz.voucher.id, wz.officer, reason)
    except DomainError as e:
        db.session.rollback()
        return _step2(wz, _status(e), errors={e.field or "hold": e.message}, hold_reason=reason)
    db.session.commit()
    flash(f"Carnet {wz.carnet.carnet_number} is on hold at {held.office_name}.", "success")
    return _leave_wizard(url_for("customs.on_hold"))


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
        return _step2(wz, _status(e), errors={field: e.message}, reject_reason=reason)
    db.session.commit()
    flash(f"The {label(wz.voucher.kind)} of carnet {wz.carnet.carnet_number} was rejected. "
          f"The holder was told; the voucher stays usable.", "success")
    return _leave_wizard(url_for("customs.new_transaction"))


@bp.get("/transactions/w/<w>/lists")
@permission_required("process_carnet")
def carnet_lists(w: str):
    """Step 2's general list, history and this territory's rejections, loaded by htmx after
    the step (a full page of step 2 has them in it)."""
    wz = Wizard(w)
    return render_template("customs/_lists.html", items=_goods_of(wz.carnet)[0],
                           **_history_context(wz))


@bp.get("/transactions/w/<w>/actions")
@permission_required("process_carnet")
def hold_reject_forms(w: str):
    """Step 2's Hold and Reject forms, fetched by htmx when the officer opens "Hold or
    reject…" (posted by htmx: the CSRF token goes in the header)."""
    Wizard(w)
    return render_template("customs/_hold_reject.html", errors={}, oob=True, lazy=True)


# --- step 3: check the goods -----------------------------------------------------------------
# The officer may put identification marks (saved at once, audited) and, for every kind but a
# validation, change the pieces presented per item (the guide's "quick changes"). The pieces
# are not stored before the commit: they travel as q_<item no> in the URL of steps 3 and 4
# (only those that differ from the declaration) and as hidden inputs of step 4's commit form;
# the engine checks them when the officer leaves step 3 and again, under its locks, at the
# commit. A refusal re-renders step 3 with the message next to the item's field.

# an item's field on step 3: q_<item no> (pieces presented), marks_<item no> (identification
# marks); item numbers as the general list numbers them (ASCII digits, no leading zero), so two
# spellings never name the same item
QTY_KEY = re.compile(r"q_([1-9][0-9]{0,8})")
MARKS_KEY = re.compile(r"marks_([1-9][0-9]{0,8})")


def _quantities_in(source, declared: list[dict]) -> tuple[dict[int, int], dict[str, str]]:
    """The pieces presented typed on step 3 (q_<item no>, from a form or the URL):
    ({item_no: pieces} where they differ from the declaration, errors by field). Only the
    format is checked here; which pieces may be presented is the engine's to say."""
    declared_qty = {i["no"]: i["qty"] for i in declared}
    changes: dict[int, int] = {}
    errors: dict[str, str] = {}
    for key, raw in source.items():
        m = QTY_KEY.fullmatch(key)
        if m is None:
            continue
        no, raw = int(m.group(1)), (raw or "").strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
            limit = declared_qty.get(no)
            errors[key] = (f"Item {no}: type a whole number of pieces"
                           + (f", from 0 to {limit}." if limit is not None else "."))
        elif int(raw) != declared_qty.get(no):
            changes[no] = int(raw)
    return changes, errors


def _query(changes: dict[int, int]) -> str:
    """The quantities' state for a relative link of the wizard ("", or "?q_1=2&q_3=0")."""
    return ("?" + urlencode({f"q_{no}": n for no, n in sorted(changes.items())})
            if changes else "")


def _goods_errors(e: DomainError, declared: list[dict]) -> dict[str, str]:
    """An engine refusal on step 3, next to the field it concerns: an item's marks or pieces
    presented, else above the goods."""
    nos = {i["no"] for i in declared}
    if e.field and e.field.startswith("marks_"):
        m = MARKS_KEY.fullmatch(e.field)
        return {e.field if m and int(m.group(1)) in nos else "marks": e.message}
    if e.item in nos:
        return {f"q_{e.item}": e.message}
    return {"quantities": e.message}


def _about_quantities(e: DomainError) -> bool:
    return e.field == "quantities" or e.code == "quantity" or e.item is not None


def _step3(wz: Wizard, declared: list[dict], status: int = 200, errors=None, values=None,
           changes=None):
    changes = changes or {}
    return _render(3, status, panel=_panel(wz), **_wizard_context(wz), declared=declared,
                   editable=engine.quantities_editable(wz.voucher),
                   presented={i["no"]: changes.get(i["no"], i["qty"]) for i in declared},
                   errors=errors or {}, values=values or {})


@bp.route("/transactions/w/<w>/goods", methods=["GET", "POST"])
@permission_required("process_carnet")
def check_goods(w: str):
    wz = Wizard(w)
    done = wz.receipt_url()
    if done is not None:  # Back after the commit: its receipt, never a second pass
        return redirect(done, 303)
    declared = _declared(wz)
    editable = engine.quantities_editable(wz.voucher)
    source = request.form if request.method == "POST" else request.args
    changes, errors = _quantities_in(source, declared) if editable else ({}, {})
    if request.method == "GET":  # the URL carries the pieces presented, nothing else
        return _step3(wz, declared, errors=errors, changes=changes,
                      values={k: v for k, v in request.args.items() if QTY_KEY.fullmatch(k)})
    if errors:
        return _step3(wz, declared, 422, errors, request.form)
    going_on = request.form.get("action") == "next"
    marks = {int(m.group(1)): v for k, v in request.form.items()
             if (m := MARKS_KEY.fullmatch(k)) is not None}
    current = {i["no"]: i["marks"] for i in declared}
    try:
        if editable and (changes or going_on):
            engine.check_presented(db.session, wz.voucher.id, wz.officer, changes or None)
        changed = []
        if any(v.strip() and v.strip() != current.get(no) for no, v in marks.items()):
            changed = engine.mark_goods(db.session, wz.voucher.id, wz.officer, marks)
    except DomainError as e:
        db.session.rollback()
        return _step3(wz, declared, _status(e), _goods_errors(e, declared), request.form)
    db.session.commit()
    if changed:
        flash("Identification marks saved.", "success")
    endpoint = "customs.commit" if going_on else "customs.check_goods"
    return redirect(url_for(endpoint, w=w) + _query(changes), 303)


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


def _step4(wz: Wizard, declared: list[dict], changes: dict[int, int], status: int = 200,
           errors=None):
    goods = [{**i, "presented": changes.get(i["no"], i["qty"])} for i in declared]
    return _render(4, status, panel=_panel(wz), **_wizard_context(wz), goods=goods,
                   changes=sorted(changes.items()), back="goods" + _query(changes),
                   eu_export=_is_eu_export(wz), values=request.form, errors=errors or {})


@bp.route("/transactions/w/<w>/commit", methods=["GET", "POST"])
@permission_required("process_carnet")
def commit(w: str):
    wz = Wizard(w)
    declared = _declared(wz)
    source = request.form if request.method == "POST" else request.args
    changes, errors = _quantities_in(source, declared)
    editable = engine.quantities_editable(wz.voucher)
    # pieces sent where they can no longer change (a validation; an exportation pre-exported
    # meanwhile, in another tab): the engine refuses them, step 4 shows what will be cleared
    fixed = bool(changes or errors) and not editable
    if request.method == "GET" or fixed:
        done = wz.receipt_url()
        if done is not None:  # Back, a reload or a replay after this pass's commit
            return redirect(done, 303)
    if fixed:
        try:
            engine.check_presented(db.session, wz.voucher.id, wz.officer, changes)
        except DomainError as e:
            db.session.rollback()
            return _step4(wz, declared, {}, _status(e), {"commit": e.message})
    if errors:  # the pieces presented are step 3's: back there, the message next to the field
        return _step3(wz, declared, 422, errors, source)
    if request.method == "GET":
        if changes:
            try:
                engine.check_presented(db.session, wz.voucher.id, wz.officer, changes)
            except DomainError as e:
                db.session.rollback()
                return _step3(wz, declared, _status(e), _goods_errors(e, declared), source)
        return _step4(wz, declared, changes)
    try:
        fields, step = _commit_form(wz)
        if changes:
            fields["quantities"] = changes
        result = engine.commit_voucher(db.session, wz.voucher.id, wz.officer, fields=fields,
                                       step=step, commit_token=wz.commit_token)
    except DomainError as e:
        db.session.rollback()
        if editable and _about_quantities(e):
            return _step3(wz, declared, _status(e), _goods_errors(e, declared),
                          changes=changes)
        return _step4(wz, declared, changes, _status(e), {e.field or "commit": e.message})
    db.session.commit()
    if result.replayed:  # a double click, a resubmitted form: the first commit stands
        flash("This pass was already committed: the receipt shows what was committed then.",
              "info")
    return redirect(url_for("customs.receipt", transaction_id=result.transaction_id), 303)


# --- step 5: receipt -------------------------------------------------------------------------

def _own_transaction(transaction_id: int) -> Transaction:
    txn = db.session.get(Transaction, transaction_id)
    if txn is None or txn.customs_id != g.tenant.id:
        abort(404)
    return txn


class _ReceiptPanel:
    """What the carnet panel needs on step 5, from the transaction (no wizard token there)."""

    def __init__(self, txn: Transaction):
        self.voucher = db.session.get(Voucher, txn.voucher_id)
        self.carnet = db.session.get(Carnet, txn.carnet_id)
        self.travel = db.session.get(Travel, self.voucher.travel_id)
        self._txn = txn

    def place(self):
        t = self._txn
        return SimpleNamespace(office_name=t.office_name, officer_name=t.officer_name)


@bp.get("/transactions/<int:transaction_id>/receipt")
@permission_required("process_carnet")
def receipt(transaction_id: int):
    txn = _own_transaction(transaction_id)
    data = receipts.receipt_data(db.session, txn)
    voucher = SimpleNamespace(id=txn.voucher_id)
    return _render(5, panel=lambda: _panel(_ReceiptPanel(txn))(), voucher=voucher, r=data)


@bp.get("/transactions/<int:transaction_id>/qr.svg")
@permission_required("process_carnet")
def receipt_qr(transaction_id: int):
    """Step 5's verification QR as an image: fetched once, kept by the browser (private)."""
    txn = _own_transaction(transaction_id)
    resp = current_app.response_class(receipts.verification_qr_file(txn),
                                      mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


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
    """The administration's holds with their carnet and voucher kind: one query."""
    rows = db.session.execute(
        select(Hold, Carnet, Voucher.kind).join(Carnet, Carnet.id == Hold.carnet_id)
        .outerjoin(Voucher, Voucher.id == Hold.voucher_id)
        .where(Hold.customs_id == g.tenant.id, Hold.released_at.is_(None))
        .order_by(Hold.held_at.desc())).all()
    return [{"hold": h, "carnet": carnet, "holder": carnet_domain.holder_of(carnet),
             "kind": label(kind) if kind else ""} for h, carnet, kind in rows]


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
