"""The chamber portal's pages: the association's carnets, a carnet (F-74 side by side, the
paper transactions read on the returned carnet, F-37 cover pages, discharge or cancellation),
the itinerary advice (F-71) and the staff (invitations). Every carnet is loaded through
get_for_association_or_404: another association's carnet is a 404."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from portal.blueprints.chamber.app import bp
from portal.blueprints.chamber.forms import ButtonForm, CoverPageForm, EndCarnetForm, InviteForm
from portal.blueprints.chamber.invitations import send_staff_invitation
from portal.blueprints.chamber.session import actor, staff_required
from portal.blueprints.language import switched
from portal.db import now_utc
from portal.domain import DomainError, chambers, cover_pages, transition, uploads
from portal.domain.carnets import STATUS_LABELS
from portal.domain.info import help as help_domain
from portal.domain.rules import country_name, label
from portal.extensions import db, limiter
from portal.i18n import current_language
from portal.models import Carnet, ChamberStaff
from portal.tenancy import get_for_association_or_404, site_url
from portal.web import page_arg, redirect_to, render_page, send_upload, show_refusal


@bp.app_context_processor
def chamber_context():
    if not has_request_context() or request.blueprint != "chamber":
        return {}
    return {
        "today": now_utc().date(),
        "STATUS_LABELS": STATUS_LABELS,
        "kind_label": label,
        "country_name": lambda code: country_name(db.session, code),
        "CANCELLED": pgettext("transaction", "cancelled"),
        "chamber_nav": [
            ("chamber.carnets", _("Carnets")),
            ("chamber.advice", _("Itinerary advice")),
            ("chamber.staff", _("Staff")),
        ],
    }


# --- 1. the association's carnets -------------------------------------------------------------


@bp.get("/carnets")
@staff_required
def carnets():
    f = chambers.CarnetFilter(
        q=(request.args.get("q") or "")[:40],
        status=request.args.get("status", ""),
        page=page_arg(),
    )
    page = chambers.carnets_page(
        db.session,
        g.association.id,
        f,
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return render_page(
        "chamber/carnets.html",
        block="results",
        page=page,
        f=f,
        statuses=chambers.CARNET_STATUSES,
        pager_args={k: v for k, v in {"q": f.q, "status": f.status}.items() if v},
    )


# --- 2. a carnet: side by side, paper transactions, cover pages, discharge or cancellation ---


def _carnet_page(carnet: Carnet, *, status: int = 200, block: str | None = None, **ctx):
    """The carnet page, or for htmx its `block` (the section a form of it swaps)."""
    ctx.setdefault("end_form", EndCarnetForm())
    ctx.setdefault("upload_form", CoverPageForm())
    ctx.setdefault("end_error", None)
    ctx.setdefault("upload_error", None)
    ctx.setdefault("confirming", None)  # "discharge" or "cancel" while asking
    ctx.setdefault("paper_values", {})
    ctx.setdefault("paper_errors", {})
    return render_page(
        "chamber/carnet.html",
        block=block,
        paper_kinds=transition.PAPER_KIND_LABELS,
        screen=chambers.carnet_screen(db.session, carnet),
        rows=cover_pages.cover_pages(db.session, carnet.id),
        may_attach=cover_pages.may_attach(db.session, carnet),
        max_files=cover_pages.MAX_PER_CARNET,
        status=status,
        **ctx,
    )


@bp.get("/carnets/<int:carnet_id>")
@staff_required
def carnet(carnet_id: int):
    return _carnet_page(get_for_association_or_404(Carnet, carnet_id))


@bp.get(
    "/carnets/<int:carnet_id>/<any(discharge, cancel, 'paper-transactions', 'cover-pages'):_action>"
)
@staff_required
def carnet_form_address(carnet_id: int, _action: str):
    """The address a form of the page posts to, opened (Enter in the address bar after a
    refusal shown without JavaScript): the carnet page."""
    carnet = get_for_association_or_404(Carnet, carnet_id)
    return redirect(url_for("chamber.carnet", carnet_id=carnet.id), 303)


ENDED = {
    "discharge": lambda number: _("Carnet %(number)s is discharged.", number=number),
    "cancel": lambda number: _("Carnet %(number)s is cancelled.", number=number),
}


@bp.post("/carnets/<int:carnet_id>/<any(discharge, cancel):action>")
@limiter.limit("30 per hour")
@staff_required
def end_carnet(carnet_id: int, action: str):
    """F-74 discharge, F-23 cancellation: first the confirmation (what it does, how many unused
    vouchers it blocks), then the change; a refusal is shown in the section, in words."""
    carnet = get_for_association_or_404(Carnet, carnet_id, for_update=True)
    form = EndCarnetForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirm.data != "yes":
        return _carnet_page(carnet, block="actions", end_form=form, confirming=action)
    end = chambers.discharge if action == "discharge" else chambers.cancel
    try:
        end(db.session, current_user, carnet, form.reason.data or "", ip=request.remote_addr)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _carnet_page(carnet, block="actions", status=422, end_error=exc.message)
    flash(ENDED[action](carnet.carnet_number), "success")
    return redirect_to(url_for("chamber.carnet", carnet_id=carnet.id))


@bp.post("/carnets/<int:carnet_id>/paper-transactions")
@limiter.limit("120 per hour")
@staff_required
def record_paper(carnet_id: int):
    """A transaction read on the returned paper carnet (kind, country, office, date,
    counterfoil or voucher number), recorded so the history beside the digital one is whole.
    A refusal shows the form again as typed, each message next to its field."""
    carnet = get_for_association_or_404(Carnet, carnet_id, for_update=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    who = actor()
    try:
        transition.record_paper_transaction(
            db.session,
            carnet,
            transition.PaperInput.from_form(request.form),
            place=None,
            recorded_by=who.label,
            actor_type=who.type,
            ip=who.ip,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _carnet_page(
            carnet,
            block="record_paper",
            status=422,
            paper_values=request.form,
            paper_errors=exc.by_field(),
        )
    flash(_("The paper transaction is recorded in the carnet's history."), "success")
    # no #fragment: for htmx the same address with one would only scroll, not load the page
    return redirect_to(url_for("chamber.carnet", carnet_id=carnet.id))


@bp.post("/carnets/<int:carnet_id>/cover-pages")
@limiter.limit("20 per hour")
@staff_required
def upload_cover_page(carnet_id: int):
    """F-37: the paper cover page, through the one upload guard (portal/domain/uploads.py)."""
    carnet = get_for_association_or_404(Carnet, carnet_id)
    form = CoverPageForm()
    if not form.validate_on_submit():
        abort(400)
    file = request.files.get("file")
    data = file.stream.read(uploads.Limits().max_bytes + 1) if file else b""
    who = actor()
    try:
        row = cover_pages.attach(
            db.session,
            carnet,
            file.filename if file else None,
            data,
            current_app.config["STORAGE_DIR"],
            by_kind="chamber",
            actor_type=who.type,
            by=who.label,
            actor_id=who.id,
            ip=who.ip,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        # htmx swaps the section back in place (the address stays the carnet page's)
        return _carnet_page(carnet, block="cover_pages", status=422, upload_error=exc.message)
    flash(_("Cover page %(name)s attached.", name=row.filename), "success")
    return redirect_to(url_for("chamber.carnet", carnet_id=carnet.id))


@bp.get("/carnets/<int:carnet_id>/cover-pages/<int:cover_page_id>")
@staff_required
def cover_page_file(carnet_id: int, cover_page_id: int):
    carnet = get_for_association_or_404(Carnet, carnet_id)
    try:
        row = cover_pages.get(db.session, carnet.id, cover_page_id)
    except DomainError:
        abort(404)
    return send_upload(row.path, row.filename, row.content_type)


# --- the language switch (F-83) and the help (F-82) ---------------------------------------------


@bp.post("/language")
@staff_required
def language():
    """The app's one language switch (portal/blueprints/language), stored on the staff member."""
    person = current_user._get_current_object()
    return switched(
        person,
        url_for("chamber.carnets"),
        lambda lang: chambers.record_staff_change(
            db.session, person, "language_changed", actor(), language=lang
        ),
    )


@bp.get("/help")
def help_page():
    """The chamber guide (portal/help/chambers.md, in the reader's language), public like the
    other sites' help: the login page links to it too."""
    guide = help_domain.guide("chambers", current_language())
    if guide is None:
        abort(404)
    return render_page("chamber/help.html", guide=guide, html=help_domain.render_guide(guide))


# --- 3. itinerary advice (F-71) ---------------------------------------------------------------


@bp.get("/advice")
@limiter.limit("60 per minute")
@staff_required
def advice():
    form = transition.advice_form(db.session, request.args)
    return render_page(
        "chamber/advice.html",
        form=form,
        ata_list_url=site_url("wallet", path=url_for("wallet.ata_status_page")),
        status=422 if form.errors else 200,
        **transition.ADVICE_WORDS,
    )


# --- the association's staff: a staff admin invites colleagues --------------------------------


@bp.route("/staff", methods=["GET", "POST"])
@staff_required(admin=True)
def staff():
    form = InviteForm()
    link = None
    if form.validate_on_submit():
        try:
            person = chambers.create_staff(
                db.session,
                g.association,
                form.email.data,
                form.full_name.data,
                form.role.data,
                actor=actor(),
                by=current_user,
            )
            link = send_staff_invitation(person)
            db.session.commit()
            flash(
                _("%(email)s is invited: the link was emailed to them.", email=person.email),
                "success",
            )
            return redirect_to(url_for("chamber.staff"))
        except DomainError as exc:
            db.session.rollback()
            show_refusal(form, exc)
    people = chambers.staff_of(db.session, g.association.id)
    return render_page(
        "chamber/staff.html",
        form=form,
        people=people,
        states=chambers.staff_states(db.session, people),
        link=link,
        buttons=ButtonForm(),
        status=422 if form.errors or form.form_errors else 200,
    )


@bp.post("/staff/<int:staff_id>/<any(deactivate, reactivate, invite, reset_totp):action>")
@staff_required(admin=True)
def staff_action(staff_id: int, action: str):
    """A staff admin disables a colleague (their sessions end at once), enables them again,
    sends them a new link (an invitation not used in time, a forgotten password) or removes
    their lost authenticator app (they enrol a new one at their next login)."""
    person = get_for_association_or_404(ChamberStaff, staff_id, owner=ChamberStaff.association_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if action == "reset_totp":
            chambers.reset_totp(db.session, current_user, person, actor())
            message = _(
                "%(email)s sets up a new authenticator app at their next login.",
                email=person.email,
            )
        elif action == "invite":
            chambers.check_reinvite(person)
            send_staff_invitation(person)
            chambers.record_staff_change(db.session, person, "invitation_resent", actor())
            message = _("A new invitation link was sent to %(email)s.", email=person.email)
        else:
            chambers.set_active(db.session, current_user, person, action == "reactivate", actor())
            message = (
                _("%(email)s can log in again.", email=person.email)
                if person.active
                else _("%(email)s can no longer log in.", email=person.email)
            )
        db.session.commit()
        flash(message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect_to(url_for("chamber.staff"))
