"""Helpers shared by the page blueprints: the permission decorator, audit from a request, the
one way to answer htmx (page or fragment, redirects), a domain refusal shown on its form and
the request arguments of lists."""

from __future__ import annotations

from functools import wraps

from flask import Response, abort, current_app, g, redirect, render_template, request
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal.db import MAX_ID
from portal.domain import audit, uploads
from portal.domain.permissions import has_permission
from portal.extensions import db, htmx, login_manager


def bounded_int(value) -> int:
    """int(value) for ids from a request; beyond MAX_ID → 0 (never exists)."""
    number = int(value)
    return number if -MAX_ID <= number <= MAX_ID else 0


def int_arg(name: str) -> int | None:
    """An integer query argument (an id or a number filter); missing or not a number → None."""
    try:
        return bounded_int(request.args[name]) if request.args.get(name) else None
    except ValueError:
        return None


def page_arg() -> int:
    """The `page` query argument of a list (1 when missing or not a number)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), MAX_ID))
    except ValueError:
        return 1


# --- htmx: the one way a route answers a page or a fragment -----------------------------------


def wants_fragment(*, boosted: bool = False) -> bool:
    """An htmx request that swaps part of the page. A history restore (Back after the cache
    missed) wants the whole page, and so does a boosted link — unless `boosted=True`: a screen
    that boosts its own region (the desk's wizard: hx-boost with hx-target) answers that region."""
    return bool(htmx) and not htmx.history_restore_request and (boosted or not htmx.boosted)


def is_poll(trigger_id: str) -> bool:
    """An htmx request triggered by the element `trigger_id` (a live region polling itself)."""
    return bool(htmx) and htmx.trigger == trigger_id


def render_page(
    template: str,
    *,
    block: str | None = None,
    fragment: str | None = None,
    status: int = 200,
    vary: str = "",
    boosted: bool = False,
    **ctx,
):
    """The whole page `template`; for htmx only its `block` (rendered from the same template)
    or the separate `fragment` template (`boosted`: as in wants_fragment). `Vary: HX-Request`
    (plus `vary`) either way, so a cache never serves the fragment for the page."""
    if wants_fragment(boosted=boosted) and (block or fragment):
        body = render_block(template, block, **ctx) if block else render_template(fragment, **ctx)
    else:
        body = render_template(template, **ctx)
    response = current_app.make_response((body, status))
    response.headers["Vary"] = "HX-Request" + (f", {vary}" if vary else "")
    return response


def redirect_to(url: str, code: int = 303):
    """After a POST: a 303 for a plain form, `HX-Redirect` for htmx (a 303 would be followed
    by htmx and its page swapped into the target). `code=302` for a GET sent elsewhere."""
    if htmx:
        return current_app.response_class(status=200, headers={"HX-Redirect": url})
    return redirect(url, code)


def show_refusal(form, error) -> None:
    """A domain refusal (DomainError) on its form (R-12): each refused field's message next to
    that field — every field of one that gathered several (portal.domain.Invalid) —, a
    refusal of no field of the form above it."""
    for name, message in error.by_field().items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def audit_request(action: str, **kwargs) -> None:
    """Record an audit event with the request's tenant, actor and client address."""
    actor_type, actor_id, label = "anonymous", None, ""
    if current_user and current_user.is_authenticated:
        actor_type = getattr(current_user, "actor_type", "account")
        actor_id = current_user.id
        label = getattr(current_user, "email", "")
    kwargs.setdefault("actor_type", actor_type)
    kwargs.setdefault("actor_id", actor_id)
    kwargs.setdefault("actor_label", label)
    tenant = getattr(g, "tenant", None)
    kwargs.setdefault("customs_id", tenant.id if tenant is not None else None)
    kwargs.setdefault("ip", request.remote_addr)
    audit.record(db.session, action, **kwargs)


def permission_required(permission: str, *, public: bool = False):
    """The one decorator that enforces the role matrix on customs pages (F-13).

    Not logged in → the login manager's redirect (with `public`: the page, which then shows
    only what is for everyone); logged in without the permission → 403, written to the audit
    log.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return view(*args, **kwargs) if public else login_manager.unauthorized()
            if not has_permission(current_user.role, permission):
                audit_request(
                    "permission.denied",
                    object_type="permission",
                    object_id=permission,
                    data={"path": request.path},
                )
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def send_upload(relpath: str, filename: str, content_type: str) -> Response:
    """A file stored by portal/domain/uploads.py, sent back as a download (attachment, nosniff,
    a CSP that runs nothing) — the one way every site serves an uploaded document."""
    path = uploads.stored_path(current_app.config["STORAGE_DIR"], relpath)
    with open(path, "rb") as fh:
        body = fh.read()
    return Response(body, headers=uploads.attachment_headers(filename, content_type))
