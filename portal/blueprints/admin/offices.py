"""Offices (F-15): list, create, edit, delete, by admins and by regional managers within their
region."""

from __future__ import annotations

from locale import strxfrm

from flask import g, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.blueprints.admin import bp
from portal.blueprints.admin.common import (
    ACTIVE_CHOICES,
    active_arg,
    audit_change,
    confirm_delete,
    filters_of,
    form_data,
    form_status,
    page_url,
    region_choices,
    save_form,
)
from portal.blueprints.admin.forms import OfficeForm
from portal.domain import organisation as org
from portal.domain.paging import paginate
from portal.extensions import db
from portal.models import Country, Office
from portal.tenancy import get_for_tenant_or_404
from portal.web import int_arg, page_arg, permission_required, render_page


def _office(office_id: int) -> Office:
    return get_for_tenant_or_404(Office, office_id, *org.office_reach(current_user))


def _prepare_office_form(form: OfficeForm) -> None:
    form.region_id.choices = region_choices(blank=_("— Choose a region —"))
    # the countries by their name in the reader's language (Babel's names), in that order
    names = get_locale().territories
    countries = [(c.code, names.get(c.code) or c.name) for c in db.session.scalars(select(Country))]
    form.country_code.choices = [("", "—")] + sorted(countries, key=lambda c: strxfrm(c[1]))
    zones = list(org.timezones())
    if form.timezone.data and form.timezone.data not in zones:
        zones.insert(0, form.timezone.data)  # keep an office's existing zone (e.g. "UTC")
    form.timezone.choices = [("", "—")] + [(z, z) for z in zones]


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
        region_choices=region_choices(blank=_("All regions")),
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

    def save() -> str:
        office = org.create_office(db.session, current_user, form_data(form))
        audit_change(
            "office.create", office, {k: (None, getattr(office, k)) for k in form_data(form)}
        )
        return _("Office “%(name)s” created.", name=office.name)

    return save_form(form, save, done=url_for("admin.offices")) or render_page(
        "admin/office_form.html", form=form, office=None, status=form_status(form)
    )


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@permission_required("create_office")
def office_edit(office_id: int):
    office = _office(office_id)
    form = OfficeForm(obj=office)
    _prepare_office_form(form)

    def save() -> str:
        changes = org.update_office(db.session, current_user, office, form_data(form))
        if changes:
            audit_change("office.update", office, changes)
        return _("Office “%(name)s” saved.", name=office.name)

    return save_form(form, save, done=url_for("admin.offices")) or render_page(
        "admin/office_form.html", form=form, office=office, status=form_status(form)
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
