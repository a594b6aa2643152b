"""Tenancy by host (F-01, F-02): the one place that turns a Host header into a site and tenant.

customs-<cc>.<domain> → that customs administration; wallet.<domain> → holder wallet;
api.<domain> → machine APIs; ops.<domain> → the operator's console; chamber.<domain> → the
issuing associations' staff (their tenant is the association of the person logged in:
g.association, get_for_association_or_404). Anything else is a 404, never a fallback to a
default tenant.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import weakref
from dataclasses import dataclass

from flask import abort, current_app, g, request
from flask.globals import request_ctx
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import (
    Session,
    make_transient_to_detached,
    object_session,
    with_loader_criteria,
)
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from portal import caches
from portal.extensions import db
from portal.models import Carnet, CustomsAdministration, TenantOwned
from portal.web import bounded_int

_CUSTOMS_HOST = re.compile(r"^customs-([a-z]{2})$")


@dataclass(frozen=True)
class Site:
    kind: str  # 'customs' | 'wallet' | 'api' | 'ops' | 'chamber'
    code: str | None = None  # the administration code for 'customs'


def parse_host(host: str, domain: str) -> Site | None:
    host = host.lower().strip()
    domain = domain.lower()
    suffix = "." + domain
    if not host.endswith(suffix):
        # a deployment behind a proxy may see the domain without the port
        bare_domain = domain.split(":")[0]
        bare_host = host.split(":")[0]
        if not bare_host.endswith("." + bare_domain):
            return None
        host, suffix = bare_host, "." + bare_domain
    label = host[: -len(suffix)]
    if label == "wallet":
        return Site("wallet")
    if label == "api":
        return Site("api")
    if label == "ops":
        return Site("ops")
    if label == "chamber":
        return Site("chamber")
    m = _CUSTOMS_HOST.match(label)
    if m:
        return Site("customs", m.group(1))
    return None


def site_url(kind: str, code: str | None = None, path: str = "/") -> str:
    """Absolute URL of a page on another site (emails, links between wallet and customs)."""
    cfg = current_app.config
    label = f"customs-{code}" if kind == "customs" else kind
    return f"{cfg['EATA_SCHEME']}://{label}.{cfg['EATA_DOMAIN']}{path}"


# Blueprints declare the site they belong to; a request to a blueprint of another site is a 404.
SITE_OF_BLUEPRINT: dict[str, str] = {}


def register_site(blueprint_name: str, kind: str) -> None:
    SITE_OF_BLUEPRINT[blueprint_name] = kind


# The administration behind each customs host, per process: reference data read on every request.
# Kept TENANT_TTL seconds at most (another process's change shows after that), and dropped at
# once in this process when a CustomsAdministration row is inserted, updated or deleted here.
TENANT_TTL = 30.0
_TENANTS: dict[str, tuple[float, dict | None]] = {}
_TENANTS_LOCK = threading.Lock()
_COLUMNS = [c.key for c in CustomsAdministration.__table__.columns]


@caches.register("tenants")
def forget_tenants(*_args) -> None:
    with _TENANTS_LOCK:
        _TENANTS.clear()


def _tenants_changed(_mapper, _connection, target) -> None:
    """A CustomsAdministration row was written (flushed, not yet committed): drop the cache
    now, and again when the transaction ends — a request of another session may have cached
    the state before the commit in between (an administration not there yet, for TENANT_TTL)."""
    forget_tenants()
    session = object_session(target)
    if session is not None:
        session.info["tenants_changed"] = True


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(CustomsAdministration, _event, _tenants_changed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_tenants_at_transaction_end(session) -> None:
    if session.info.pop("tenants_changed", False):
        forget_tenants()


def tenant_for(session: Session, code: str) -> CustomsAdministration | None:
    """The active administration `code` as an object of `session` (no query while cached)."""
    return _cached_tenant(session, code, CustomsAdministration.code == code)


def tenant_by_id(session: Session, customs_id: int) -> CustomsAdministration | None:
    """The active administration `customs_id` (a customs API client's), like tenant_for."""
    return _cached_tenant(session, f"#{customs_id}", CustomsAdministration.id == customs_id)


def _cached_tenant(session: Session, key: str, criterion) -> CustomsAdministration | None:
    now = time.monotonic()
    hit = _TENANTS.get(key)
    if hit is None or hit[0] < now:
        tenant = session.scalar(
            select(CustomsAdministration).where(criterion, CustomsAdministration.active.is_(True))
        )
        values = None if tenant is None else {k: getattr(tenant, k) for k in _COLUMNS}
        with _TENANTS_LOCK:
            if len(_TENANTS) > 1000:
                _TENANTS.clear()
            _TENANTS[key] = (now + TENANT_TTL, values)
        return tenant
    if hit[1] is None:
        return None
    # merge(load=False) puts a clean detached copy into the session without a query
    copy = CustomsAdministration.__mapper__.class_manager.new_instance()
    for column, value in hit[1].items():
        set_committed_value(copy, column, value)
    make_transient_to_detached(copy)
    return session.merge(copy, load=False)


def resolve_request_site() -> None:
    """before_request: sets g.site and, on a customs host, g.tenant; 404s what matches nothing."""
    g.site = None
    g.tenant = None
    g.association = None  # chamber.<domain>: set by the staff loader (blueprints/chamber)
    if request.endpoint in ("static", "health", "favicon"):
        return
    site = parse_host(request.host, current_app.config["EATA_DOMAIN"])
    if site is None:
        abort(404)
    if site.kind == "customs":
        tenant = tenant_for(db.session, site.code)
        if tenant is None:
            abort(404)
        g.tenant = tenant
        db.session.info["customs_id"] = tenant.id
    g.site = site
    endpoint = request.endpoint or _endpoint_of_405()
    wanted = SITE_OF_BLUEPRINT.get(endpoint.rpartition(".")[0] if endpoint else "")
    if endpoint is None or wanted is None or wanted != site.kind:
        abort(404)


def _endpoint_of_405() -> str | None:
    """The endpoint of a path asked with a method it does not answer (Flask then answers 405
    with `Allow`, if the path belongs to this site)."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not error.valid_methods:
        return None
    try:
        endpoint, _ = request_ctx.url_adapter.match(method=error.valid_methods[0])
    except HTTPException:
        return None
    return endpoint


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_owned(state) -> None:
    """Safety net: a session bound to a tenant only ever loads that tenant's rows."""
    customs_id = state.session.info.get("customs_id")
    if customs_id is None or not state.is_select or state.execution_options.get("all_tenants"):
        return
    state.statement = _scoped(state.statement, customs_id)


# statement → {customs_id: the statement with the safety net's option}, for as long as the
# statement lives: a statement built once keeps its scoped copy, and with it the cache key
# SQLAlchemy works out per statement object (a new copy per execution costs that again)
_SCOPED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SCOPED_LOCK = threading.Lock()


def _scoped(statement, customs_id: int):
    try:
        with _SCOPED_LOCK:
            scoped = _SCOPED.get(statement, {}).get(customs_id)
    except TypeError:  # a statement that cannot be weakly referenced: scoped each time
        return statement.options(_tenant_criteria(customs_id))
    if scoped is None:
        scoped = statement.options(_tenant_criteria(customs_id))
        with _SCOPED_LOCK:
            _SCOPED.setdefault(statement, {})[customs_id] = scoped
    return scoped


@functools.lru_cache(maxsize=1024)
def _tenant_criteria(customs_id: int):
    """The safety net's option for one administration, built once (building it analyses the
    lambda; the option itself is immutable, as any loader option)."""
    return with_loader_criteria(
        TenantOwned, lambda cls: cls.customs_id == customs_id, include_aliases=True
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_association_carnets(state) -> None:
    """The chamber portal's safety net: a session bound to an issuing association (set by
    blueprints/chamber/session.staff_required) only ever loads that association's carnets."""
    association_id = state.session.info.get("association_id")
    if association_id is None or not state.is_select:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            Carnet, lambda cls: cls.issuing_association_id == association_id, include_aliases=True
        )
    )


def tenant_select(model):
    """select(model) limited to the current administration — the way routes query tenant tables."""
    return select(model).where(model.customs_id == g.tenant.id)


def get_for_tenant_or_404(model, object_id, *criteria, parent=None):
    """The one way a route loads an object owned by the current administration by id; any
    other administration's object (or none) is a 404, never a 403 or its data.

    `model` either has a `customs_id` column (Region, Office, Account, Claim, Job, Hold,
    Transaction…) or belongs to a parent the caller already loaded through this helper:
    `parent=(ClaimEvidence.claim_id, claim)`. `criteria` narrow it further (the user's reach,
    a kind of job); an object outside them is a 404 too.
    """
    try:
        object_id = bounded_int(object_id)
    except (TypeError, ValueError):
        abort(404)
    if parent is not None:
        column, owner = parent
        stmt, values = _by_id(model, column.key), {"object_id": object_id, "owner": owner.id}
    else:
        stmt, values = _by_id(model), {"object_id": object_id, "owner": g.tenant.id}
    if criteria:
        stmt = stmt.where(*criteria)
    obj = db.session.execute(stmt, values).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


@functools.cache
def _by_id(model, owner: str = "customs_id"):
    """get_for_tenant_or_404's statement for `model`, built once: by id, and owned by the
    tenant (`customs_id`) or by the parent (the column named `owner`)."""
    return select(model).where(
        model.id == bindparam("object_id"), getattr(model, owner) == bindparam("owner")
    )


def get_for_association_or_404(model, object_id, *, owner=None, for_update: bool = False):
    """The chamber portal's get_for_tenant_or_404: an object of the logged-in staff member's
    issuing association (`model.issuing_association_id`, or the column `owner`) by id; another
    association's object (or none, or no association) is a 404. `for_update`: its row locked
    until the commit (a write that checks its state first: two at once, one wins)."""
    association = g.get("association")
    try:
        object_id = bounded_int(object_id)
    except (TypeError, ValueError):
        abort(404)
    if association is None:
        abort(404)
    column = owner if owner is not None else model.issuing_association_id
    stmt = select(model).where(model.id == object_id, column == association.id)
    obj = db.session.scalar(stmt.with_for_update() if for_update else stmt)
    if obj is None:
        abort(404)
    return obj
