"""Administration screens (F-13 … F-15): regions, offices, accounts and the settings.

Thin: parse the form, call portal.domain.organisation, audit, commit, render. A list URL renders
the whole page, or only its results for an htmx request (search, filters, pagination).
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import (
    AccountCreateForm,
    AccountForm,
    EmptyForm,
    OfficeForm,
    RegionForm,
    SettingsForm,
)
from portal.blueprints.auth.emails import send_invitation, send_password_reset
from portal.db import now_utc
from portal.domain import DomainError, NotFound, PermissionDenied
from portal.domain import organisation as org
from portal.domain.permissions import ACCOUNT_ROLE_PERMISSION, ROLE_LABELS, manageable_roles
from portal.extensions import db, limiter
from portal.models import Country, CustomsTerritory
from portal.web import audit_request, bounded_int, permission_required

PER_PAGE = 20
ACTIVE_CHOICES = [("", "All"), ("1", "Activated"), ("0", "Deactivated")]


# ---------------------------------------------------------------- helpers


def _render_list(template: str, **ctx):
    """The full page, or just its `results` block for htmx (not for a history restore)."""
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render_block(template, "results", **ctx)
    else:
        response = render_template(template, **ctx)
    return response, 200, {"Vary": "HX-Request"}


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _int_arg(name: str) -> int | None:
    try:
        return bounded_int(request.args[name]) if request.args.get(name) else None
    except ValueError:
        return None


def _active_arg() -> bool | None:
    return {"1": True, "0": False}.get(request.args.get("active", ""))


def _filters(**values) -> dict[str, str]:
    """The non-empty filters, to rebuild pagination links and the export link."""
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _page_url(endpoint: str, filters: dict[str, str], page: int) -> str:
    return url_for(endpoint) + "?" + urlencode({**filters, "page": page})


def _show_domain_error(form, error: DomainError) -> None:
    """Each refused field's message goes next to that field; the rest above the form."""
    for name, message in getattr(error, "errors", {error.field: error.message}).items():
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
    form._denied = isinstance(error, PermissionDenied)
    if form._denied:
        audit_request("permission.denied", object_type="permission",
                      object_id=error.field or "", data={"path": request.path,
                                                         "reason": error.message})
        db.session.commit()


def _form_status(form) -> int:
    """200 for a GET; for a refused POST 403 when a role was not the user's to give, else 422."""
    if request.method == "GET":
        return 200
    return 403 if getattr(form, "_denied", False) else 422


def _get_or_404(getter, object_id):
    try:
        return getter(db.session, current_user, object_id)
    except NotFound:
        abort(404)


def _audit(action: str, obj, changes: dict | None = None, **data) -> None:
    payload = dict(data)
    if changes:
        payload.update(org.jsonable(changes))
    audit_request(action, object_type=type(obj).__name__.lower(), object_id=obj.id, data=payload)


def any_account_permission(view):
    """Accounts screens: open to whoever may manage at least one role (F-13); the role of each
    target account is then checked by the domain."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        roles = manageable_roles(current_user.role) if current_user.is_authenticated else []
        permission = ACCOUNT_ROLE_PERMISSION[roles[0]] if roles else "create_officer_account"
        return permission_required(permission)(view)(*args, **kwargs)

    return wrapped


def _region_choices(blank: str | None = None):
    choices = [(r.id, r.name + ("" if r.active else " (deactivated)"))
               for r in org.regions_for(db.session, current_user)]
    return ([("", blank)] if blank is not None else []) + choices


def _office_choices(region_id=None, blank: str | None = "— None —"):
    offices = org.offices_for(db.session, current_user)
    if region_id:
        offices = [o for o in offices if o.region_id == region_id]
    choices = [(o.id, o.name + ("" if o.active else " (deactivated)")) for o in offices]
    return ([("", blank)] if blank is not None else []) + choices


# ---------------------------------------------------------------- regions


def _prepare_region_form(form: RegionForm) -> None:
    form.territory_id.choices = [
        (t.id, f"{t.code} – {t.name}")
        for t in db.session.scalars(select(CustomsTerritory).order_by(CustomsTerritory.code))
    ]


@bp.get("/regions")
@permission_required("create_region")
def regions():
    q = request.args.get("q", "").strip()
    active = _active_arg()
    page = org.paginate(db.session, org.region_list(g.tenant.id, q=q, active=active), _page_arg(),
                        PER_PAGE)
    filters = _filters(q=q, active=request.args.get("active", ""))
    territories = {t.id: f"{t.code} – {t.name}" for t in db.session.scalars(
        select(CustomsTerritory).where(CustomsTerritory.id.in_({r.territory_id for r in page.items})))}
    return _render_list("admin/regions.html", page=page, q=q, filters=filters,
                        active_choices=ACTIVE_CHOICES, territories=territories,
                        page_url=lambda n: _page_url("admin.regions", filters, n))


@bp.route("/regions/new", methods=["GET", "POST"])
@permission_required("create_region")
def region_new():
    form = RegionForm()
    _prepare_region_form(form)
    if request.method == "GET":
        form.territory_id.data = g.tenant.territory_id
    if form.validate_on_submit():
        try:
            region = org.create_region(db.session, g.tenant, name=form.name.data,
                                       territory_id=form.territory_id.data, active=form.active.data)
        except DomainError as e:
            db.session.rollback()
            _show_domain_error(form, e)
        else:
            _audit("region.create", region, after={"name": region.name,
                                                   "territory_id": region.territory_id,
                                                   "active": region.active})
            db.session.commit()
            flash(f"Region \u201c{region.name}\u201d created.", "success")
            return redirect(url_for("admin.regions"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/region_form.html", form=form, region=None), status


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@permission_required("create_region")
def region_edit(region_id: int):
    region = _get_or_404(org.get_region, region_id)
    form = RegionForm(obj=region)
    _prepare_region_form(form)
    if form.validate_on_submit():
        try:
            changes = org.update_region(db.session, g.tenant, region, name=form.name.data,
                                        territory_id=form.territory_id.data,
                                        active=form.active.data)
        except DomainError as e:
            db.session.rollback()
            region = _get_or_404(org.get_region, region_id)
            _show_domain_error(form, e)
        else:
            if changes:
                _audit("region.update", region, changes)
            db.session.commit()
            flash(f"Region \u201c{region.name}\u201d saved.", "success")
            return redirect(url_for("admin.regions"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/region_form.html", form=form, region=region), status


@bp.route("/regions/<int:region_id>/delete", methods=["GET", "POST"])
@permission_required("create_region")
def region_delete(region_id: int):
    region = _get_or_404(org.get_region, region_id)
    return _confirm_delete(region, kind="region", name=region.name,
                           delete=lambda: org.delete_region(db.session, region),
                           back=url_for("admin.region_edit", region_id=region.id),
                           done=url_for("admin.regions"))


def _confirm_delete(obj, *, kind: str, name: str, delete, back: str, done: str, snapshot=None):
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
            audit_request(f"{kind}.delete", object_type=kind, object_id=object_id,
                          data={"before": result or snapshot or {"name": name}})
            db.session.commit()
            flash(f"{kind.capitalize()} \u201c{name}\u201d deleted.", "success")
            return redirect(done, code=303)
    status = 200 if request.method == "GET" else (409 if error else 422)
    return render_template("admin/confirm_delete.html", form=form, kind=kind, name=name,
                           error=error, back=back), status


# ---------------------------------------------------------------- offices


def _prepare_office_form(form: OfficeForm) -> None:
    form.region_id.choices = _region_choices(blank="— Choose a region —")
    form.country_code.choices = [("", "—")] + [
        (c.code, c.name) for c in db.session.scalars(select(Country).order_by(Country.name))
    ]
    zones = list(org.timezones())
    if form.timezone.data and form.timezone.data not in zones:
        zones.insert(0, form.timezone.data)  # keep an office's existing zone (e.g. "UTC")
    form.timezone.choices = [("", "—")] + [(z, z) for z in zones]


def _office_data(form: OfficeForm) -> dict:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


@bp.get("/offices")
@permission_required("create_office")
def offices():
    q = request.args.get("q", "").strip()
    region_id = _int_arg("region_id")
    office_type = request.args.get("type", "")
    stmt = org.office_list(current_user, q=q, region_id=region_id, office_type=office_type,
                           active=_active_arg())
    page = org.paginate(db.session, stmt, _page_arg(), PER_PAGE)
    filters = _filters(q=q, region_id=region_id, type=office_type,
                       active=request.args.get("active", ""))
    return _render_list(
        "admin/offices.html", page=page, q=q, filters=filters, active_choices=ACTIVE_CHOICES,
        region_choices=_region_choices(blank="All regions"), region_id=region_id,
        office_types=org.OFFICE_TYPES, office_type=office_type,
        page_url=lambda n: _page_url("admin.offices", filters, n))


@bp.route("/offices/new", methods=["GET", "POST"])
@permission_required("create_office")
def office_new():
    form = OfficeForm()
    _prepare_office_form(form)
    if request.method == "GET":
        form.country_code.data = g.tenant.country_code
        form.timezone.data = g.tenant.timezone
        if current_user.role != "admin":
            form.region_id.data = current_user.region_id
    if form.validate_on_submit():
        try:
            office = org.create_office(db.session, current_user, _office_data(form))
        except DomainError as e:
            db.session.rollback()
            _show_domain_error(form, e)
        else:
            _audit("office.create", office, {k: (None, getattr(office, k)) for k in _office_data(form)})
            db.session.commit()
            flash(f"Office \u201c{office.name}\u201d created.", "success")
            return redirect(url_for("admin.offices"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/office_form.html", form=form, office=None), status


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@permission_required("create_office")
def office_edit(office_id: int):
    office = _get_or_404(org.get_office, office_id)
    form = OfficeForm(obj=office)
    _prepare_office_form(form)
    if form.validate_on_submit():
        try:
            changes = org.update_office(db.session, current_user, office, _office_data(form))
        except DomainError as e:
            db.session.rollback()
            office = _get_or_404(org.get_office, office_id)
            _show_domain_error(form, e)
        else:
            if changes:
                _audit("office.update", office, changes)
            db.session.commit()
            flash(f"Office \u201c{office.name}\u201d saved.", "success")
            return redirect(url_for("admin.offices"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/office_form.html", form=form, office=office), status


@bp.route("/offices/<int:office_id>/delete", methods=["GET", "POST"])
@permission_required("create_office")
def office_delete(office_id: int):
    office = _get_or_404(org.get_office, office_id)
    return _confirm_delete(office, kind="office", name=office.name,
                           delete=lambda: org.delete_office(db.session, current_user, office),
                           back=url_for("admin.office_edit", office_id=office.id),
                           done=url_for("admin.offices"))


# ---------------------------------------------------------------- accounts


def _role_choices(current: str | None = None):
    roles = manageable_roles(current_user.role)
    return [(r, ROLE_LABELS[r]) for r in roles]


def _prepare_account_form(form: AccountForm) -> None:
    form.role.choices = _role_choices()
    form.region_id.choices = _region_choices(blank="— None (admins only) —")
    form.office_id.choices = _office_choices(form.region_id.data)


def _account_data(form: AccountForm) -> dict:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def _account_filters():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    region_id = _int_arg("region_id")
    office_id = _int_arg("office_id")
    stmt = org.account_list(current_user, q=q, role=role, region_id=region_id, office_id=office_id,
                            active=_active_arg())
    filters = _filters(q=q, role=role, region_id=region_id, office_id=office_id,
                       active=request.args.get("active", ""))
    return stmt, filters


@bp.get("/accounts")
@any_account_permission
def accounts():
    stmt, filters = _account_filters()
    page = org.paginate(db.session, stmt, _page_arg(), PER_PAGE)
    return _render_list(
        "admin/accounts.html", page=page, filters=filters, active_choices=ACTIVE_CHOICES,
        role_choices=[("", "All roles")] + _role_choices(),
        region_choices=_region_choices(blank="All regions"),
        office_choices=_office_choices(blank="All offices"), role_labels=ROLE_LABELS,
        page_url=lambda n: _page_url("admin.accounts", filters, n),
        export_url=url_for("admin.accounts_export") + ("?" + urlencode(filters) if filters else ""))


@bp.get("/accounts/export.xlsx")
@any_account_permission
def accounts_export():
    stmt, filters = _account_filters()
    data = org.accounts_workbook(db.session, stmt)
    audit_request("account.export", object_type="account", data={"filters": filters})
    db.session.commit()
    import io

    name = f"accounts-{g.tenant.code}-{now_utc():%Y%m%d-%H%M}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/accounts/office-options")
@any_account_permission
def office_options():
    """The <option>s of the office select for the chosen region (htmx, account form)."""
    region_id = _int_arg("region_id")
    return render_template("admin/_office_options.html", choices=_office_choices(region_id),
                           selected=None)


@bp.route("/accounts/new", methods=["GET", "POST"])
@any_account_permission
def account_new():
    form = AccountCreateForm()
    if request.method == "GET" and current_user.role != "admin":
        form.region_id.data = current_user.region_id
    _prepare_account_form(form)
    if form.validate_on_submit():
        try:
            account = org.create_account(db.session, current_user, _account_data(form))
            send_invitation(account, days=g.tenant.invitation_days)
        except DomainError as e:
            db.session.rollback()
            _show_domain_error(form, e)
        else:
            _audit("account.create", account, after={
                "email": account.email, "full_name": account.full_name, "role": account.role,
                "region_id": account.region_id, "office_id": account.office_id,
                "active": account.active})
            db.session.commit()
            flash(f"Account created: an invitation was sent to {account.email}.", "success")
            return redirect(url_for("admin.accounts"), code=303)
    status = _form_status(form)
    return render_template("admin/account_form.html", form=form, account=None), status


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@any_account_permission
def account_edit(account_id: int):
    account = _get_or_404(org.get_account, account_id)
    form = AccountForm(obj=account)
    _prepare_account_form(form)
    if form.validate_on_submit():
        try:
            changes = org.update_account(db.session, current_user, account, _account_data(form))
        except DomainError as e:
            db.session.rollback()
            account = _get_or_404(org.get_account, account_id)
            _show_domain_error(form, e)
        else:
            if changes:
                _audit("account.update", account, changes)
            db.session.commit()
            flash(f"Account of {account.full_name} saved.", "success")
            return redirect(url_for("admin.accounts"), code=303)
    status = _form_status(form)
    return render_template("admin/account_form.html", form=form, account=account,
                           action_form=EmptyForm(), role_labels=ROLE_LABELS), status


def _account_action(account_id: int, action: str, run, success: str):
    """A button-only POST on an account: run, audit, commit, back to the account with a flash."""
    account = _get_or_404(org.get_account, account_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changes = run(account)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        _audit(action, account, changes)
        db.session.commit()
        flash(success.format(account=account), "success")
    return redirect(url_for("admin.account_edit", account_id=account_id), code=303)


@bp.post("/accounts/<int:account_id>/disable")
@any_account_permission
def account_disable(account_id: int):
    return _account_action(
        account_id, "account.disable",
        lambda a: org.set_account_active(db.session, current_user, a, False),
        "Account of {account.full_name} disabled: its sessions are closed.")


@bp.post("/accounts/<int:account_id>/enable")
@any_account_permission
def account_enable(account_id: int):
    return _account_action(
        account_id, "account.enable",
        lambda a: org.set_account_active(db.session, current_user, a, True),
        "Account of {account.full_name} enabled.")


@bp.post("/accounts/<int:account_id>/force-password-change")
@any_account_permission
def account_force_password_change(account_id: int):
    return _account_action(
        account_id, "account.force_password_change",
        lambda a: org.force_password_change(db.session, current_user, a),
        "{account.full_name} must change their password at next login.")


def _reset_target() -> str:
    return f"admin-reset:{g.tenant.id}:{request.view_args.get('account_id')}"


@bp.post("/accounts/<int:account_id>/reset-password")
@any_account_permission
@limiter.limit("5 per hour", key_func=_reset_target)
def account_reset_password(account_id: int):
    def run(account):
        org.check_can_reset(db.session, current_user, account)
        send_password_reset(account)
        return None

    return _account_action(account_id, "account.password_reset_requested", run,
                           "A password reset link was sent to {account.email}.")


@bp.route("/accounts/<int:account_id>/delete", methods=["GET", "POST"])
@any_account_permission
def account_delete(account_id: int):
    account = _get_or_404(org.get_account, account_id)
    return _confirm_delete(account, kind="account", name=f"{account.full_name} ({account.email})",
                           delete=lambda: org.delete_account(db.session, current_user, account),
                           back=url_for("admin.account_edit", account_id=account.id),
                           done=url_for("admin.accounts"))


# ---------------------------------------------------------------- settings


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("customs_settings")
def settings():
    administration = g.tenant
    form = SettingsForm(obj=administration)
    if form.validate_on_submit():
        try:
            changes = org.update_settings(db.session, administration,
                                          mfa_mandatory=form.mfa_mandatory.data,
                                          invitation_days=form.invitation_days.data)
        except DomainError as e:
            db.session.rollback()
            _show_domain_error(form, e)
        else:
            if changes:
                _audit("settings.update", administration, changes)
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/settings.html", form=form), status
