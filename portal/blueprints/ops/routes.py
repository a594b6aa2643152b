"""The console's screens: NGAs and chambers, API clients, customs administrations, ATA
statuses, news and help pages. Domain refusals are shown next to the form (R-12)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, has_request_context, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from portal.blueprints.auth.emails import send_account_invitation
from portal.blueprints.ops.app import bp
from portal.blueprints.ops.forms import (
    AUDIENCE_PAIRS,
    KIND_PAIRS,
    AdministrationForm,
    ApiClientForm,
    AssociationForm,
    AtaStatusForm,
    ButtonForm,
    HelpPageForm,
    NewsForm,
    NgaForm,
    choices,
)
from portal.blueprints.ops.session import actor, current_operator, operator_required
from portal.domain import DomainError, api_clients, ata_status, crypto, identity
from portal.domain.info import directory, markdown, news
from portal.domain.info import help as help_domain
from portal.extensions import db
from portal.i18n import fmt_date
from portal.models import (
    NGA,
    ApiClient,
    Country,
    CustomsAdministration,
    HelpPage,
    IssuingAssociation,
    NewsItem,
)
from portal.web import audit_request, redirect_to, render_page, show_refusal

CONTACT = ("street", "postal_code", "city", "email", "phone")


def _get(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _refused(form, exc: DomainError) -> None:
    db.session.rollback()
    show_refusal(form, exc)


@bp.get("/")
@operator_required
def index():
    return render_page("ops/index.html")


# --- NGAs and issuing associations ---------------------------------------------------------


@bp.route("/ngas", methods=["GET", "POST"])
@operator_required
def ngas():
    form = NgaForm()
    if form.validate_on_submit():
        try:
            contact = {k: (getattr(form, k).data or "").strip() for k in (*CONTACT, "website")}
            nga = api_clients.create_nga(
                db.session, form.country.data, form.name.data.strip(), actor=actor(), **contact
            )
            directory.index_nga(db.session, nga)
            db.session.commit()
            flash(_("NGA %(name)s created.", name=nga.name), "success")
            return redirect_to(url_for("ops.ngas"))
        except DomainError as exc:
            _refused(form, exc)
    rows = db.session.scalars(select(NGA).order_by(NGA.country_code, NGA.name)).all()
    return render_page(
        "ops/ngas.html",
        form=form,
        ngas=rows,
        status=422 if form.errors or form.form_errors else 200,
    )


def _contact_edit(obj, form, template: str, done: str):
    if form.validate_on_submit():
        try:
            data = {k: f.data for k, f in form._fields.items()}
            directory.update_contact(db.session, obj, data, actor=actor())
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect_to(done)
        except DomainError as exc:
            _refused(form, exc)
    return render_page(template, form=form, obj=obj, status=422 if form.errors else 200)


@bp.route("/ngas/<int:nga_id>", methods=["GET", "POST"])
@operator_required
def nga_edit(nga_id: int):
    nga = _get(NGA, nga_id)
    form = NgaForm(obj=nga, country=nga.country_code)
    return _contact_edit(nga, form, "ops/contact_form.html", url_for("ops.ngas"))


@bp.route("/associations/new", methods=["GET", "POST"])
@operator_required
def association_new():
    form = AssociationForm()
    form.nga_id.choices = choices(
        (n.id, n.name) for n in db.session.scalars(select(NGA).order_by(NGA.name))
    )
    if form.validate_on_submit():
        try:
            contact = {k: (getattr(form, k).data or "").strip() for k in CONTACT}
            nga = _get(NGA, form.nga_id.data)
            ia = api_clients.create_issuing_association(
                db.session, nga, form.name.data.strip(), actor=actor(), **contact
            )
            directory.index_association(db.session, ia)
            db.session.commit()
            flash(_("Issuing association %(name)s created.", name=ia.name), "success")
            return redirect_to(url_for("ops.ngas"))
        except DomainError as exc:
            _refused(form, exc)
    return render_page(
        "ops/contact_form.html", form=form, obj=None, status=422 if form.errors else 200
    )


@bp.route("/associations/<int:ia_id>", methods=["GET", "POST"])
@operator_required
def association_edit(ia_id: int):
    ia = _get(IssuingAssociation, ia_id)
    form = AssociationForm(obj=ia)
    form.nga_id.choices = choices([(ia.nga_id, ia.nga.name)])
    return _contact_edit(ia, form, "ops/contact_form.html", url_for("ops.ngas"))


# --- API clients ---------------------------------------------------------------------------


def _owner_choices() -> list:
    ngas_ = db.session.scalars(select(NGA).order_by(NGA.name))
    admins = db.session.scalars(select(CustomsAdministration).order_by(CustomsAdministration.name))
    return choices(
        [(f"nga:{n.id}", _("NGA · %(name)s", name=n.name)) for n in ngas_]
        + [(f"customs:{a.id}", _("Customs · %(name)s", name=a.name)) for a in admins]
    )


def _keep_once(kind: str, **values: str) -> None:
    """A secret to show once on the page after the redirect (PRG): kept in the session,
    encrypted for this operator session, never in the address; `_take_once` pops it."""
    sealed = crypto.encrypt_json(values, _once_aad(kind))
    session["ops_once"] = {"kind": kind, "sealed": sealed}


def _take_once(kind: str) -> dict | None:
    kept = session.get("ops_once")
    if not kept or kept.get("kind") != kind:
        return None
    session.pop("ops_once", None)
    try:
        return crypto.decrypt_json(kept["sealed"], _once_aad(kind))
    except (crypto.DataKeyError, ValueError):  # another session's value: show nothing
        return None


def _once_aad(kind: str) -> str:
    operator = current_operator()
    return f"ops-once:{kind}:{getattr(operator, 'session_id', '')}"


@bp.route("/api-clients", methods=["GET", "POST"])
@operator_required
def api_client_list():
    form = ApiClientForm()
    form.owner.choices = _owner_choices()
    if form.validate_on_submit():
        kind, _sep, ref = (form.owner.data or "").partition(":")
        try:
            if kind == "nga":
                client, secret = api_clients.create_client(
                    db.session, form.name.data, nga=_get(NGA, int(ref)), actor=actor()
                )
            else:
                admin = _get(CustomsAdministration, int(ref or 0))
                client, secret = api_clients.create_client(
                    db.session, form.name.data, customs_id=admin.id, actor=actor()
                )
            db.session.commit()
            _keep_once("secret", client=client.client_id, secret=secret)
            return redirect_to(url_for("ops.api_client_list"))
        except DomainError as exc:
            _refused(form, exc)
    return _api_client_page(form=form)


def _api_client_page(form=None, confirming=None, action: str | None = None):
    if form is None:
        form = ApiClientForm(formdata=None)
        form.owner.choices = _owner_choices()
    shown = _take_once("secret") if request.method == "GET" else None
    clients = db.session.scalars(select(ApiClient).order_by(ApiClient.created_at.desc())).all()
    return render_page(
        "ops/api_clients.html",
        form=form,
        clients=clients,
        shown=shown,
        confirming=confirming,
        confirm_action=action,
        buttons=ButtonForm(),
        status=422 if form.errors or form.form_errors else 200,
    )


@bp.post("/api-clients/<int:client_pk>/<any(rotate, revoke):action>")
@operator_required
def api_client_action(client_pk: int, action: str):
    """A new secret or the revocation cut off the client's system: first the confirmation
    (what it does), then — with confirm=yes — the change, and a redirect (PRG)."""
    client = _get(ApiClient, client_pk)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        return _api_client_page(confirming=client, action=action)
    try:
        if action == "rotate":
            secret = api_clients.rotate_secret(db.session, client, actor=actor())
            db.session.commit()
            _keep_once("secret", client=client.client_id, secret=secret)
            return redirect_to(url_for("ops.api_client_list"))
        api_clients.revoke_client(db.session, client, actor=actor())
        db.session.commit()
        flash(_("API client %(id)s revoked.", id=client.client_id), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect_to(url_for("ops.api_client_list"))


# --- customs administrations ---------------------------------------------------------------


@bp.route("/administrations", methods=["GET", "POST"])
@operator_required
def administrations():
    form = AdministrationForm()
    if form.validate_on_submit():
        try:
            administration, admin = identity.create_administration(
                db.session,
                code=form.code.data,
                name=form.name.data,
                country_code=form.country.data,
                admin_email=form.admin_email.data,
                admin_name=form.admin_name.data,
            )
            link = send_account_invitation(admin)
            audit_request(
                "customs.created",
                customs_id=administration.id,
                object_type="customs_administration",
                object_id=administration.id,
                data={"admin": admin.email},
            )
            db.session.commit()
            flash(
                _(
                    "%(name)s created; the invitation was sent to %(email)s.",
                    name=administration.name,
                    email=admin.email,
                ),
                "success",
            )
            _keep_once("invitation", link=link)
            return redirect_to(url_for("ops.administrations"))
        except DomainError as exc:
            _refused(form, exc)
    kept = _take_once("invitation") if request.method == "GET" else None
    link = kept["link"] if kept else None
    rows = db.session.scalars(
        select(CustomsAdministration).order_by(CustomsAdministration.name)
    ).all()
    return render_page(
        "ops/administrations.html",
        form=form,
        administrations=rows,
        link=link,
        buttons=ButtonForm(),
        status=422 if form.errors or form.form_errors else 200,
    )


@bp.post("/administrations/<int:customs_id>/<any(deactivate, reactivate):action>")
@operator_required
def administration_action(customs_id: int, action: str):
    """Deactivate (portal 404, offices out of the directory and the search) or reactivate."""
    administration = _get(CustomsAdministration, customs_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    identity.set_administration_active(
        db.session, administration, action == "reactivate", actor=actor()
    )
    db.session.commit()
    flash(
        _("%(name)s is active again.", name=administration.name)
        if action == "reactivate"
        else _("%(name)s is deactivated.", name=administration.name),
        "success",
    )
    return redirect_to(url_for("ops.administrations"))


# --- ATA statuses --------------------------------------------------------------------------


def _date_of(value: str | None) -> dt.date | None:
    """The date of the form's date input (YYYY-MM-DD, as browsers send it)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field="digital_from") from None


@bp.route("/ata-status", methods=["GET", "POST"])
@operator_required
def ata_statuses():
    form = AtaStatusForm()
    if form.validate_on_submit():
        try:
            day = _date_of(form.digital_from.data)
            country, reason = form.country.data.strip().upper(), form.reason.data or ""
            if form.action.data == "announce":
                if day is None:
                    raise DomainError(_("Give the digital date."), field="digital_from")
                change = ata_status.announce_provisional(
                    db.session, country, day, reason=reason, actor=actor()
                )
            elif form.action.data == "confirm":
                change = ata_status.confirm_digital(
                    db.session, country, day, reason=reason, actor=actor()
                )
            else:
                change = ata_status.withdraw_digital_date(
                    db.session, country, reason=reason, actor=actor()
                )
            db.session.commit()
            flash(_status_changed(change), "success")
            return redirect_to(url_for("ops.ata_statuses"))
        except DomainError as exc:
            _refused(form, exc)
    return render_page(
        "ops/ata_status.html",
        form=form,
        statuses=ata_status.status_list(db.session),
        status=422 if form.errors or form.form_errors else 200,
    )


def _status_changed(change: ata_status.StatusChange) -> str:
    """ "France: digital from 01/06/2026 (confirmed)": the typed country and its new state,
    the date as the table shows it; the other countries of its customs territory counted."""
    name = db.session.get(Country, change.countries[0]).name
    if change.status == "provisional":
        said = _("%(country)s: digital from %(day)s (provisional)", country=name,
                 day=fmt_date(change.digital_from))  # fmt: skip
    elif change.status == "digital":
        said = _("%(country)s: digital from %(day)s (confirmed)", country=name,
                 day=fmt_date(change.digital_from))  # fmt: skip
    else:
        said = _("%(country)s: paper (the digital date is withdrawn)", country=name)
    others = len(change.countries) - 1
    if others:
        said += " " + ngettext(
            "The other country of its customs territory changed with it.",
            "The %(num)s other countries of its customs territory changed with it.",
            others,
        )
    return said


# --- news ----------------------------------------------------------------------------------


@bp.get("/news")
@operator_required
def news_list():
    return _news_page()


def _news_page(confirming: NewsItem | None = None):
    items = news.all_news(db.session)
    first_titles = {n.id: n.title for n in items if n.version_of is None}
    return render_page(
        "ops/news.html",
        items=items,
        first_titles=first_titles,
        audiences=dict(AUDIENCE_PAIRS),
        buttons=ButtonForm(),
        confirming=confirming,
        going=news.versions_gone_with(db.session, confirming) if confirming else [],
    )


@bp.route("/news/new", methods=["GET", "POST"], defaults={"news_id": None})
@bp.route("/news/<int:news_id>", methods=["GET", "POST"])
@operator_required
def news_edit(news_id: int | None):
    item = _get(NewsItem, news_id) if news_id else None
    form = NewsForm(obj=item)
    firsts = news.first_versions(db.session, but=item)
    form.version_of.choices = choices(
        [("", _("None: a news of its own"))]
        + [(str(n.id), f"{n.title} ({n.language})") for n in firsts]
    )
    if request.method == "GET" and item is not None:
        form.version_of.data = str(item.version_of or "")
    if item is not None and item.version_of is not None:  # its news' audience and dates
        for name in ("audience", "publish_at", "expires_at"):
            getattr(form, name).render_kw = {"disabled": True}
    if form.validate_on_submit():
        try:
            chosen = form.version_of.data
            news.save_news(
                db.session,
                item,
                title=form.title.data,
                body=form.body.data or "",
                audience=form.audience.data,
                language=form.language.data,
                publish_at=form.publish_at.data,
                expires_at=form.expires_at.data,
                version_of=db.session.get(NewsItem, int(chosen)) if chosen else None,
                actor=actor(),
            )
            db.session.commit()
            flash(_("News saved."), "success")
            return redirect_to(url_for("ops.news_list"))
        except DomainError as exc:
            _refused(form, exc)
    preview = markdown.render(form.body.data or "") if form.body.data else None
    return render_page(
        "ops/news_form.html",
        form=form,
        item=item,
        preview=preview,
        status=422 if form.errors else 200,
    )


@bp.post("/news/<int:news_id>/delete")
@operator_required
def news_delete(news_id: int):
    """A news with versions in other languages goes with them: first the confirmation naming
    them, then — with confirm=yes — the deletion."""
    item = _get(NewsItem, news_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if news.versions_gone_with(db.session, item) and request.form.get("confirm") != "yes":
        return _news_page(confirming=item)
    gone = news.delete_news(db.session, item, actor=actor())
    db.session.commit()
    flash(
        ngettext(
            "News deleted, with its %(num)s version in another language.",
            "News deleted, with its %(num)s versions in other languages.",
            len(gone),
        )
        if gone
        else _("News deleted."),
        "success",
    )
    return redirect_to(url_for("ops.news_list"))


# --- help pages and FAQ --------------------------------------------------------------------


@bp.get("/help-pages")
@operator_required
def help_pages():
    rows = db.session.scalars(select(HelpPage).order_by(HelpPage.kind, HelpPage.position)).all()
    return render_page(
        "ops/help_pages.html",
        pages=rows,
        audiences=dict(AUDIENCE_PAIRS),
        kinds=dict(KIND_PAIRS),
        buttons=ButtonForm(),
    )


@bp.route("/help-pages/new", methods=["GET", "POST"], defaults={"page_id": None})
@bp.route("/help-pages/<int:page_id>", methods=["GET", "POST"])
@operator_required
def help_page_edit(page_id: int | None):
    page = _get(HelpPage, page_id) if page_id else None
    form = HelpPageForm(obj=page)
    if form.validate_on_submit():
        try:
            data = {k: f.data for k, f in form._fields.items()}
            help_domain.save_page(db.session, page, data, actor=actor())
            db.session.commit()
            flash(_("Help page saved."), "success")
            return redirect_to(url_for("ops.help_pages"))
        except DomainError as exc:
            _refused(form, exc)
    return render_page(
        "ops/help_form.html", form=form, page=page, status=422 if form.errors else 200
    )


@bp.post("/help-pages/<int:page_id>/delete")
@operator_required
def help_page_delete(page_id: int):
    page = _get(HelpPage, page_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    help_domain.delete_page(db.session, page, actor=actor())
    db.session.commit()
    flash(_("Help page deleted."), "success")
    return redirect_to(url_for("ops.help_pages"))


@bp.app_context_processor
def ops_navigation():
    # templates rendered outside a request (a job's PDF) have no blueprint
    if not has_request_context() or request.blueprint != "ops":
        return {}
    return {
        "ops_nav": [
            ("ops.index", _("Console")),
            ("ops.operator_list", _("Operator accounts")),
            ("ops.ngas", _("NGAs and chambers")),
            ("ops.api_client_list", _("API clients")),
            ("ops.administrations", _("Customs administrations")),
            ("ops.ata_statuses", _("ATA statuses")),
            ("ops.news_list", _("News")),
            ("ops.help_pages", _("Help pages and FAQ")),
        ]
    }
