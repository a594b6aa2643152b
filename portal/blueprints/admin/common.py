"""What the administration screens share: refusals shown on the form, the list arguments
(filters, page links), the delete confirmation, the audit of a change, choices of selects.

Routes are thin: parse the form, call portal.domain.organisation, audit, commit, answer through
portal/web.py (a list URL renders the whole page, or only its `results` block for htmx).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.blueprints.admin.forms import EmptyForm
from portal.domain import DomainError, PermissionDenied
from portal.domain import organisation as org
from portal.extensions import db
from portal.web import audit_request, redirect_to, render_page, show_refusal

ACTIVE_CHOICES = [("", _l("All")), ("1", _l("Activated")), ("0", _l("Deactivated"))]
# what the delete confirmation of each kind of object says (F-83: a sentence per kind, so each
# language can agree its words)
DELETE_TEXTS = {
    "account": (
        _l("Delete account"),
        _l("Delete account “%(name)s”?"),
        _l("Account “%(name)s” deleted."),
    ),
    "office": (
        _l("Delete office"),
        _l("Delete office “%(name)s”?"),
        _l("Office “%(name)s” deleted."),
    ),
    "region": (
        _l("Delete region"),
        _l("Delete region “%(name)s”?"),
        _l("Region “%(name)s” deleted."),
    ),
}


def active_arg() -> bool | None:
    return {"1": True, "0": False}.get(request.args.get("active", ""))


def filters_of(**values) -> dict[str, str]:
    """The non-empty filters, to rebuild pagination links and the export link."""
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def page_url(endpoint: str, filters: dict[str, str]):
    return lambda page: url_for(endpoint) + "?" + urlencode({**filters, "page": page})


def show_domain_error(form, error: DomainError) -> None:
    """Each refused field's message goes next to that field; the rest above the form."""
    show_refusal(form, error)
    form._denied = isinstance(error, PermissionDenied)
    if form._denied:
        audit_request(
            "permission.denied",
            object_type="permission",
            object_id=error.field or "",
            data={"path": request.path, "reason": error.message},
        )
        db.session.commit()


def form_data(form) -> dict:
    """The form's fields by name, as the organisation domain takes them."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def save_form(form, save: Callable[[], str], *, done: str) -> Response | None:
    """The POST of a create or edit form: `save()` calls the domain, audits and returns the
    message to flash; then commit and go to `done`. A refusal is rolled back and shown next to
    its fields. None when the form is to be shown (again): render it with `form_status`."""
    if not form.validate_on_submit():
        return None
    try:
        message = save()
    except DomainError as e:
        db.session.rollback()  # the object edited is reloaded from the database when shown
        show_domain_error(form, e)
        return None
    db.session.commit()
    flash(message, "success")
    return redirect_to(done)


def form_status(form) -> int:
    """200 for a GET; for a refused POST 403 when a role was not the user's to give, else 422."""
    if request.method == "GET":
        return 200
    return 403 if getattr(form, "_denied", False) else 422


def audit_change(action: str, obj, changes: dict | None = None, **data) -> None:
    payload = dict(data)
    if changes:
        payload.update(org.jsonable(changes))
    audit_request(action, object_type=type(obj).__name__.lower(), object_id=obj.id, data=payload)


def region_choices(blank: str | None = None):
    choices = [
        (r.id, r.name if r.active else _("%(name)s (deactivated)", name=r.name))
        for r in org.regions_for(db.session, current_user)
    ]
    return ([("", blank)] if blank is not None else []) + choices


def office_choices(region_id=None, blank: str | None = None):
    offices = org.offices_for(db.session, current_user)
    if region_id:
        offices = [o for o in offices if o.region_id == region_id]
    choices = [
        (o.id, o.name if o.active else _("%(name)s (deactivated)", name=o.name)) for o in offices
    ]
    return [("", blank if blank is not None else _("— None —"))] + choices


def confirm_delete(obj, *, kind: str, name: str, delete, back: str, done: str):
    """GET: the confirmation page; POST: delete, audit, back to the list."""
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        object_id = obj.id
        try:
            result = delete()
        except DomainError as e:
            db.session.rollback()
            error = e.message
        else:
            audit_request(
                f"{kind}.delete",
                object_type=kind,
                object_id=object_id,
                data={"before": result or {"name": name}},
            )
            db.session.commit()
            flash(str(DELETE_TEXTS[kind][2]) % {"name": name}, "success")
            return redirect_to(done)
    status = 200 if request.method == "GET" else (409 if error else 422)
    return render_page(
        "admin/confirm_delete.html",
        form=form,
        kind=kind,
        title=DELETE_TEXTS[kind][0],
        question=str(DELETE_TEXTS[kind][1]) % {"name": name},
        name=name,
        error=error,
        back=back,
        status=status,
    )
