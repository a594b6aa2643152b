"""Offices (F-15): list, create, edit, delete, by admins and by regional managers within their
region."""

from __future__ import annotations

from flask import flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.blueprints.admin import bp
from portal.blueprints.admin.common import (
    ACTIVE_CHOICES,
    active_arg,
    audit_change,
    confirm_delete,
    filters_of,
    page_url,
    region_choices,
    show_domain_error,
)
from portal.blueprints.admin.forms import OfficeForm
from portal.domain import DomainError
from portal.domain import organisation as org
from portal.domain.paging import paginate
from portal.extensions import db
from portal.models import Country, Office
from portal.tenancy import get_for_tenant_or_404
from portal.web import int_arg, page_arg, permission_required, redirect_to, render_page


def _office(office_id: int) -> Office:
    return get_for_tenant_or_404(Office, office_id, *org.office_reach(current_user))


def _prepare_office_form(form: OfficeForm) -> None:
    form.region_id.choices = region_choices(blank="— Choose a region —")
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
    region_id = int_arg("region_id")
    office_type = request.args.get("type", "")
    stmt = org.office_list(
        current_user, q=q, region_id=region_id, office_type=office_type, active=active_arg()
    )
    page = paginate(db.session, stmt, page_arg())
    filters = filters_of(
        q=q, region_id=region_id, type=office_type, active=request.args.get("active", "")
    )
    return render_page(
        "admin/offices.html",
        block="results",
        page=page,
        q=q,
        filters=filters,
        active_choices=ACTIVE_CHOICES,
        region_choices=region_choices(blank="All regions"),
        region_id=region_id,
        office_types=org.OFFICE_TYPES,
        office_type=office_type,
        page_url=page_url("admin.offices", filters),
    )


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
            show_domain_error(form, e)
        else:
            audit_change(
                "office.create", office, {k: (None, getattr(office, k)) for k in _office_data(form)}
            )
            db.session.commit()
            flash(f"Office \u201c{office.name}\u201d created.", "success")
            return redirect_to(url_for("admin.offices"))
    return render_page(
        "admin/office_form.html",
        form=form,
        office=None,
        status=422 if request.method == "POST" else 200,
    )


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@permission_required("create_office")
def office_edit(office_id: int):
    office = _office(office_id)
    form = OfficeForm(obj=office)
    _prepare_office_form(form)
    if form.validate_on_submit():
        try:
            changes = org.update_office(db.session, current_user, office, _office_data(form))
        except DomainError as e:
            db.session.rollback()
            office = _office(office_id)
            show_domain_error(form, e)
        else:
            if changes:
                audit_change("office.update", office, changes)
            db.session.commit()
            flash(f"Office \u201c{office.name}\u201d saved.", "success")
            return redirect_to(url_for("admin.offices"))
    return render_page(
        "admin/office_form.html",
        form=form,
        office=office,
        status=422 if request.method == "POST" else 200,
    )


@bp.route("/offices/<int:office_id>/delete", methods=["GET", "POST"])
@permission_required("create_office")
def office_delete(office_id: int):
    office = _office(office_id)
    return confirm_delete(
        office,
        kind="office",
        name=office.name,
        delete=lambda: org.delete_office(db.session, current_user, office),
        back=url_for("admin.office_edit", office_id=office.id),
        done=url_for("admin.offices"),
    )
