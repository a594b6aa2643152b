"""Regions (F-15): list, create, edit, delete. Admins only."""

from __future__ import annotations

from flask import g, request, url_for
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
    form_status,
    page_url,
    save_form,
)
from portal.blueprints.admin.forms import RegionForm
from portal.domain import organisation as org
from portal.domain.paging import paginate
from portal.extensions import db
from portal.models import CustomsTerritory, Region
from portal.tenancy import get_for_tenant_or_404
from portal.web import page_arg, permission_required, render_page


def _region(region_id: int) -> Region:
    return get_for_tenant_or_404(Region, region_id, *org.region_reach(current_user))


def _region_data(form: RegionForm) -> dict:
    return {
        "name": form.name.data,
        "territory_id": form.territory_id.data,
        "active": form.active.data,
    }


def _prepare_region_form(form: RegionForm) -> None:
    form.territory_id.choices = [
        (t.id, f"{t.code} – {t.name}")
        for t in db.session.scalars(select(CustomsTerritory).order_by(CustomsTerritory.code))
    ]


@bp.get("/regions")
@permission_required("create_region")
def regions():
    q = request.args.get("q", "").strip()
    page = paginate(db.session, org.region_list(g.tenant.id, q=q, active=active_arg()), page_arg())
    filters = filters_of(q=q, active=request.args.get("active", ""))
    territories = {
        t.id: f"{t.code} – {t.name}"
        for t in db.session.scalars(
            select(CustomsTerritory).where(
                CustomsTerritory.id.in_({r.territory_id for r in page.items})
            )
        )
    }
    return render_page(
        "admin/regions.html",
        block="results",
        page=page,
        q=q,
        filters=filters,
        active_choices=ACTIVE_CHOICES,
        territories=territories,
        page_url=page_url("admin.regions", filters),
    )


@bp.route("/regions/new", methods=["GET", "POST"])
@permission_required("create_region")
def region_new():
    form = RegionForm()
    _prepare_region_form(form)
    if request.method == "GET":
        form.territory_id.data = g.tenant.territory_id

    def save() -> str:
        region = org.create_region(db.session, g.tenant, **_region_data(form))
        audit_change(
            "region.create", region, after={k: getattr(region, k) for k in _region_data(form)}
        )
        return _("Region “%(name)s” created.", name=region.name)

    return save_form(form, save, done=url_for("admin.regions")) or render_page(
        "admin/region_form.html", form=form, region=None, status=form_status(form)
    )


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@permission_required("create_region")
def region_edit(region_id: int):
    region = _region(region_id)
    form = RegionForm(obj=region)
    _prepare_region_form(form)

    def save() -> str:
        changes = org.update_region(db.session, g.tenant, region, **_region_data(form))
        if changes:
            audit_change("region.update", region, changes)
        return _("Region “%(name)s” saved.", name=region.name)

    return save_form(form, save, done=url_for("admin.regions")) or render_page(
        "admin/region_form.html", form=form, region=region, status=form_status(form)
    )


@bp.route("/regions/<int:region_id>/delete", methods=["GET", "POST"])
@permission_required("create_region")
def region_delete(region_id: int):
    region = _region(region_id)
    return confirm_delete(
        region,
        kind="region",
        name=region.name,
        delete=lambda: org.delete_region(db.session, region),
        back=url_for("admin.region_edit", region_id=region.id),
        done=url_for("admin.regions"),
    )
