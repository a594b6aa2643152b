"""The customs desk's shared pieces (F-40 … F-46): the wizard's state, the officer's offices,
the per-process caches of carnet goods and issuer names, and the one way a step is rendered.

The wizard's state is a signed token in the URL (voucher, office, officer and the one-time
commit token), so back, reload and a double click replay the same commit token and the engine
answers with the first result (R-11). The routes are in `routes.py` (the wizard's steps) and
`screens.py` (receipt, Last transactions, On hold); request parsing is in `forms.py`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from flask import abort, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select

from portal import caches
from portal.blueprints.customs import bp
from portal.db import now_utc
from portal.domain import DomainError, cover_pages, predeclarations, transition
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain.organisation import office_within_reach, offices_for, offices_within_reach
from portal.domain.rules import label
from portal.domain.visibility import history_seen_by
from portal.extensions import db
from portal.models import (
    NGA,
    Carnet,
    CarnetCountry,
    GoodsItem,
    Hold,
    IssuingAssociation,
    Office,
    Predeclaration,
    Transaction,
    TransactionItem,
    Travel,
    Voucher,
)
from portal.tenancy import tenant_select
from portal.web import MAX_ID, render_page, wants_fragment

WIZARD_SALT = "customs-wizard"
WIZARD_MAX_AGE = 12 * 3600
STEPS = (_l("Scan"), _l("Check carnet"), _l("Check goods"), _l("Commit"), _l("Receipt"))


# The qr-scanner library decodes in a Web Worker that it creates from a blob: URL; the wizard's
# pages (any of them can swap back to step 1) allow exactly that, nothing else is loosened.
WIZARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "worker-src 'self' blob:; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
WIZARD_ENDPOINTS = {
    "customs.new_transaction",
    "customs.lookup",
    "customs.check_carnet",
    "customs.check_goods",
    "customs.commit",
    "customs.receipt",
    "customs.hold",
    "customs.reject",
    "customs.release_here",
    "customs.cancel",
}


@bp.after_request
def _wizard_csp(response):
    if request.endpoint in WIZARD_ENDPOINTS and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = WIZARD_CSP
    return response


# --- helpers ---------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=WIZARD_SALT)


def my_offices() -> list[Office]:
    return [o for o in offices_for(db.session, current_user) if o.active]


def default_office_id(offices: list[Office] | None = None) -> int | None:
    ids = [o.id for o in (offices if offices is not None else my_offices())]
    if current_user.office_id in ids:
        return current_user.office_id
    return ids[0] if ids else None


def office_or_none(office_id) -> Office | None:
    """An active office within the officer's reach (R-16), by id: one primary-key look-up."""
    try:
        office_id = int(office_id)
    except (TypeError, ValueError):
        return None
    if not 0 < office_id <= MAX_ID:
        return None
    office = db.session.scalar(tenant_select(Office).where(Office.id == office_id))
    return office if office is not None and office_within_reach(current_user, office) else None


def officer_at(office: Office) -> engine.Officer:
    return engine.Officer(
        account=current_user._get_current_object(), office=office, ip=request.remote_addr
    )


def current_office() -> Office | None:
    """The office the officer works from: ?office= (within the region, R-16) or their own."""
    return office_or_none(request.values.get("office_id") or default_office_id())


# The decrypted general list and Box P of a carnet, per process, keyed by the carnet's id and
# updated_at (every change of the carnet, its items or their marks moves updated_at), so the
# steps of a wizard decrypt and load them once. Small and bounded.
_GOODS: OrderedDict[tuple, tuple[list[dict], list[str]]] = OrderedDict()
_GOODS_MAX = 256
_GOODS_LOCK = threading.Lock()


@caches.register("desk_goods")
def forget_goods() -> None:
    """Drop this process's cache of carnet goods (tests, reference data changed)."""
    with _GOODS_LOCK:
        _GOODS.clear()


def goods_of(carnet: Carnet) -> tuple[list[dict], list[str]]:
    key = (carnet.id, carnet.updated_at)
    hit = _GOODS.get(key)
    if hit is not None:
        return hit
    goods = db.session.scalars(
        select(GoodsItem).where(GoodsItem.carnet_id == carnet.id).order_by(GoodsItem.item_no)
    ).all()
    items = [
        {
            "no": item.item_no,
            "pieces": item.pieces,
            "description": carnet_domain.item_description(carnet, item),
            "marks": carnet_domain.item_marks(carnet, item) or "",
            "value": item.value,
            "quantity": item.quantity,
            "unit": item.unit or "",
            "origin": item.origin_country,
        }
        for item in goods
    ]
    countries = sorted(
        db.session.scalars(
            select(CarnetCountry.country_code).where(CarnetCountry.carnet_id == carnet.id)
        )
    )
    with _GOODS_LOCK:
        _GOODS[key] = (items, countries)
        while len(_GOODS) > _GOODS_MAX:
            _GOODS.popitem(last=False)
    return items, countries


# the wizard's voucher, carnet, travel and office in one query, built once (every desk step)
_WIZARD_ROWS = (
    select(Voucher, Carnet, Travel, Office)
    .join(Carnet, Carnet.id == Voucher.carnet_id)
    .join(Travel, Travel.id == Voucher.travel_id)
    .join(Office, Office.id == bindparam("office_id"))
    .where(Voucher.id == bindparam("voucher_id"))
)


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
        # opened from a pre-declaration's Commit (F-51): its id; the commit goes through it
        self.predeclaration_id: int | None = data.get("p")
        row = db.session.execute(
            _WIZARD_ROWS, {"voucher_id": int(data["v"]), "office_id": int(data["o"])}
        ).first()
        if row is None or not office_within_reach(current_user, row[3]):
            abort(404)
        self.voucher, self.carnet, self.travel, self.office = row
        self._place = None

    @staticmethod
    def start(voucher: Voucher, office: Office, predeclaration_id: int | None = None) -> str:
        data = {
            "v": voucher.id,
            "o": office.id,
            "a": current_user.id,
            "t": secrets.token_urlsafe(18),
        }
        if predeclaration_id is not None:
            data["p"] = predeclaration_id
        return _serializer().dumps(data)

    def receipt_url(self) -> str | None:
        """The receipt of what this pass through the wizard committed (its one-time commit
        token), or None: Back or a reload after the commit shows the receipt again."""
        tid = engine.committed_by_token(db.session, self.commit_token)
        return url_for("customs.receipt", transaction_id=tid) if tid is not None else None

    @property
    def officer(self) -> engine.Officer:
        return officer_at(self.office)

    def place(self):
        if self._place is None:
            self._place = engine.place_of(db.session, self.officer)
        return self._place


def refusal_status(error: DomainError) -> int:
    """A refusal re-renders its step: 422 for invalid input, else the engine's status."""
    return 422 if error.status in (400, 404) else error.status


def _panel_shown() -> str:
    """The voucher whose carnet panel the officer's page shows (sent by wizard.js)."""
    return request.headers.get("X-Desk-Panel", "")


def render_step(step: int, status: int = 200, panel=None, **ctx):
    """The whole page (stable shell: stepper, carnet panel; then the step), or for htmx only
    the step with the stepper swapped out of band, and the carnet panel only when the page
    shows another one. `panel` is a callable giving the panel's context (or None: no panel)."""
    ctx.update(step=step, steps=STEPS)
    key = str(ctx["voucher"].id) if panel is not None else ""
    if key and step == 5:  # after the commit: the carnet may have changed (validated, F-73)
        key += ":committed"
    ctx["panel_key"] = key
    fragment = wants_fragment(boosted=True)
    if not fragment or key != _panel_shown():
        ctx["panel_oob"] = fragment
        ctx["panel"] = panel() if panel is not None else None
    resp = render_page(
        "customs/wizard.html",
        fragment="customs/fragment.html",
        boosted=True,
        status=status,
        vary="X-Desk-Panel",
        oob=fragment,
        **ctx,
    )
    if fragment and status == 200:
        resp.headers["HX-Push-Url"] = request.full_path.rstrip("?")
    return resp


# Names of the issuing NGAs and associations (reference data), per process, NAMES_TTL at most.
NAMES_TTL = 60.0
_NAMES: dict[tuple, tuple[float, str]] = {}
caches.register("desk_issuer_names", _NAMES.clear)


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


def panel_of(wz: Wizard):
    """The carnet panel of steps 2–5: the carnet and its holder, what the officer checks."""

    def build() -> dict:
        carnet = wz.carnet
        return {
            "carnet": carnet,
            "holder": carnet_domain.holder_of(carnet),
            "representatives": carnet_domain.representatives_of(carnet),
            "carnet_status": carnet.effective_status(now_utc().date()),
            "type_label": carnet_domain.TYPE_LABELS.get(carnet.carnet_type, carnet.carnet_type),
            "format_label": carnet_domain.FORMAT_SHORT_LABELS.get(carnet.format, carnet.format),
            "countries": goods_of(carnet)[1],
            "issuer": _name_of(NGA, carnet.nga_id),
            "association": _name_of(IssuingAssociation, carnet.issuing_association_id),
            "kind_label": label(wz.voucher.kind),
            "voucher": wz.voucher,
            "travel": wz.travel,
            "place": wz.place(),
        }

    return build


def wizard_context(wz: Wizard) -> dict:
    return {
        "wz": wz,
        "carnet": wz.carnet,
        "voucher": wz.voucher,
        "travel": wz.travel,
        "kind_label": label(wz.voucher.kind),
        "label": label,
    }


def history_context(wz: Wizard) -> dict:
    """The history the territory may see and this territory's rejections of the carnet."""
    carnet_id, territory_id = wz.carnet.id, wz.place().territory_id
    return {
        "history": history_seen_by(db.session, carnet_id, territory_id, g.tenant.id),
        "rejections": engine.rejections_for(db.session, carnet_id, territory_id),
        "label": label,
        # the transition (F-72, F-37): transactions made on the paper carnet, recorded, and
        # the paper cover page validated in a paper departure country
        "paper": transition.paper_transactions(db.session, wz.carnet),
        "cover_pages": cover_pages.cover_pages(db.session, carnet_id),
        "paper_kinds": transition.PAPER_KIND_LABELS,
        "wizard": wz.token,
        "eata_id": wz.carnet.eata_id,
    }


def check_context(wz: Wizard) -> dict:
    """Step 2's own content: this territory's holds of the carnet; the general list and the
    history in a full page (an htmx answer loads them after the step: carnet_lists)."""
    ctx = {
        **wizard_context(wz),
        "holds": db.session.scalars(
            select(Hold)
            .where(
                Hold.carnet_id == wz.carnet.id,
                Hold.territory_id == wz.place().territory_id,
                Hold.released_at.is_(None),
            )
            .order_by(Hold.held_at.desc())
        ).all(),
    }
    if not wants_fragment(boosted=True):
        ctx.update(items=goods_of(wz.carnet)[0], **history_context(wz))
    return ctx


def declared_of(wz: Wizard) -> list[dict]:
    """The goods this voucher clears as declared (`engine.declared_goods`): the whole list for a
    validation, the pre-exportation's at the exit of a pre-exported exportation, else the
    travel's."""
    items = goods_of(wz.carnet)[0]
    rows = engine.declared_goods(db.session, wz.voucher)
    if rows is None:
        return [{**i, "qty": i["pieces"]} for i in items]
    by_no = {i["no"]: i for i in items}
    return [{**by_no[no], "qty": qty} for no, qty in rows]


def is_eu_export(wz: Wizard) -> bool:
    return wz.voucher.kind == "export" and wz.place().is_eu


def recent_rows(office_id: int | None) -> list[dict]:
    """The office's last ten transactions, shown under step 1 as in the guide: one query, which
    also checks that the office is one of the officer's (R-16; another's lists nothing)."""
    if office_id is None:
        return []
    goods = (
        select(func.coalesce(func.sum(TransactionItem.quantity), 0))
        .where(TransactionItem.transaction_id == Transaction.id, TransactionItem.line == "cleared")
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Transaction.id,
            Transaction.kind,
            Transaction.committed_at,
            Carnet.eata_id,
            Carnet.carnet_number,
            goods.label("goods"),
        )
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .join(Office, Office.id == Transaction.office_id)
        .where(Transaction.office_id == office_id, *offices_within_reach(current_user))
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
        .limit(10)
    ).all()
    return [
        {
            "id": r.id,
            "eata_id": r.eata_id,
            "carnet_number": r.carnet_number,
            "kind": label(r.kind),
            "at": r.committed_at,
            "goods": r.goods,
        }
        for r in rows
    ]


def prefilled_of(wz: Wizard) -> dict[str, str]:
    """Step 4's fields pre-filled from the pre-declaration the wizard was opened from (F-51:
    the shipment number as the customs reference, the transport in the remarks)."""
    p = db.session.scalar(
        tenant_select(Predeclaration).where(Predeclaration.id == wz.predeclaration_id)
    )
    return predeclarations.prefilled_fields(p) if p is not None else {}
