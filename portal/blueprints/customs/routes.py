"""The customs desk's wizard (F-40 … F-43): scan or type (step 1), check the carnet and hold
or reject (step 2), check the goods (step 3), commit (step 4); the receipt (step 5) and the
other desk screens are in `screens.py`.

Routes stay thin: parse the request (`forms.py`), call the transaction engine
(portal.domain.transactions), render the step (`desk.render_step`). After a hold or a rejection
the officer goes to a whole page with its flash message (`redirect_to`: a 303, or HX-Redirect
for htmx — a 303 would be followed into #step).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.customs import bp
from portal.blueprints.customs.desk import (
    Wizard,
    check_context,
    declared_of,
    default_office_id,
    goods_of,
    history_context,
    is_eu_export,
    my_offices,
    office_or_none,
    panel_of,
    prefilled_of,
    recent_rows,
    refusal_status,
    render_step,
    wizard_context,
)
from portal.blueprints.customs.forms import (
    MARKS_KEY,
    QTY_KEY,
    about_quantities,
    commit_fields,
    goods_errors,
    quantities_in,
    quantities_query,
    travel_changes,
)
from portal.domain import DomainError, NotFound, cover_pages, transition
from portal.domain import carnets as carnet_domain
from portal.domain import predeclarations as pd
from portal.domain import transactions as engine
from portal.domain import vouchers as voucher_domain
from portal.domain.rules import label
from portal.extensions import db, limiter
from portal.models import Hold
from portal.tenancy import get_for_tenant_or_404
from portal.web import bounded_int, permission_required, redirect_to, send_upload

# --- step 1: scan or type --------------------------------------------------------------------


def _step1(status: int, form: dict, errors: dict, offices=None):
    offices = offices if offices is not None else my_offices()
    return render_step(1, status, offices=offices, form=form, errors=errors)


@bp.get("/transactions/new")
@permission_required("process_carnet")
def new_transaction():
    offices = my_offices()
    return _step1(200, {"office_id": default_office_id(offices)}, {}, offices)


@bp.get("/transactions/recent")
@permission_required("process_carnet")
def recent():
    """Step 1's list of the office's last ten transactions (loaded by htmx after the step)."""
    try:
        office_id = bounded_int(request.args.get("office_id") or default_office_id())
    except (TypeError, ValueError):
        office_id = None
    return render_template("customs/_recent.html", recent=recent_rows(office_id))


@bp.post("/transactions/new")
@permission_required("process_carnet")
@limiter.limit("60/minute")
def lookup():
    form = {k: (request.form.get(k) or "").strip() for k in ("carnet", "code", "qr", "office_id")}
    errors: dict[str, str] = {}
    # a hardware QR scanner "types" the QR's text (and Enter) into the focused field: the same
    # look-up as the camera's (scan.js moves it into `qr` first; this is for a page without it)
    for field in ("carnet", "code"):
        if not form["qr"] and voucher_domain.looks_like_qr(form[field]):
            form["qr"], form[field] = form[field], ""
    office = office_or_none(form["office_id"])
    if office is None:
        errors["office_id"] = _("Choose one of the offices of your region.")
    carnet_ref, code = form["carnet"], form["code"]
    if not form["qr"]:
        if not carnet_ref:
            errors["carnet"] = _("Type the carnet's eATA ID or carnet number.")
        if not code:
            errors["code"] = _("Type the transaction code.")
    if not errors:
        # one look-up for a typed code or a scanned QR: both count wrong guesses
        who = {
            "client_key": f"account:{current_user.id}",
            "account_id": current_user.id,
            "customs_id": g.tenant.id,
            "ip": request.remote_addr,
        }
        try:
            voucher = (
                voucher_domain.lookup_by_qr(db.session, form["qr"], **who)
                if form["qr"]
                else voucher_domain.lookup_voucher(db.session, carnet_ref, code, **who)
            )
        except DomainError as e:
            db.session.rollback()
            errors[e.field or "code"] = e.message
        else:
            token = Wizard.start(voucher, office)
            return redirect(url_for("customs.check_carnet", w=token), 303)
    return _step1(422, form, errors)


# --- step 2: check the carnet; hold or reject ------------------------------------------------


def _step2(wz: Wizard, status: int = 200, **extra):
    return render_step(2, status, panel=panel_of(wz), **check_context(wz), **extra)


@bp.get("/transactions/w/<w>/carnet")
@permission_required("process_carnet")
def check_carnet(w: str):
    return _step2(Wizard(w), errors={})


@bp.post("/transactions/w/<w>/hold")
@permission_required("process_carnet")
def hold(w: str):
    wz = Wizard(w)
    reason = request.form.get("reason", "")
    reference = request.form.get("reference", "")
    try:
        held = engine.hold_carnet(
            db.session, wz.voucher.id, wz.officer, reason, reference=reference
        )
    except DomainError as e:
        db.session.rollback()
        field = "hold_reference" if e.field == "reference" else (e.field or "hold")
        return _step2(
            wz,
            refusal_status(e),
            errors={field: e.message},
            hold_reason=reason,
            hold_reference=reference,
        )
    db.session.commit()
    flash(
        _(
            "Carnet %(number)s is on hold at %(office)s.",
            number=wz.carnet.carnet_number,
            office=held.office_name,
        ),
        "success",
    )
    return redirect_to(url_for("customs.on_hold"))


@bp.post("/transactions/w/<w>/reject")
@permission_required("process_carnet")
def reject(w: str):
    wz = Wizard(w)
    reason = request.form.get("reason", "")
    try:
        engine.reject_voucher(db.session, wz.voucher.id, wz.officer, reason)
    except DomainError as e:
        db.session.rollback()
        field = "reject_reason" if e.field == "reason" else "reject"
        return _step2(wz, refusal_status(e), errors={field: e.message}, reject_reason=reason)
    db.session.commit()
    flash(
        _(
            "The %(kind)s of carnet %(number)s was rejected. The holder was told; the voucher "
            "stays usable.",
            kind=label(wz.voucher.kind),
            number=wz.carnet.carnet_number,
        ),
        "success",
    )
    return redirect_to(url_for("customs.new_transaction"))


@bp.post("/transactions/w/<w>/release")
@permission_required("process_carnet")
def release_here(w: str):
    """Release the carnet's hold from step 2, rescanned at the office that held it (F-46, the
    guide's "rescan the transaction QR code"); the engine records it and refuses another
    office. Back to step 2, now with "Next"."""
    wz = Wizard(w)
    held = get_for_tenant_or_404(Hold, request.form.get("hold_id"), Hold.carnet_id == wz.carnet.id)
    try:
        engine.release_hold(db.session, held.id, wz.officer)
    except DomainError as e:
        db.session.rollback()
        return _step2(wz, refusal_status(e), errors={"release": e.message})
    db.session.commit()
    flash(_("Carnet %(number)s was released.", number=wz.carnet.carnet_number), "success")
    return redirect(url_for("customs.check_carnet", w=w), 303)


@bp.get("/transactions/w/<w>/lists")
@permission_required("process_carnet")
def carnet_lists(w: str):
    """Step 2's general list, history and this territory's rejections, loaded by htmx after
    the step (a full page of step 2 has them in it)."""
    wz = Wizard(w)
    return render_template(
        "customs/_lists.html", items=goods_of(wz.carnet)[0], **history_context(wz)
    )


@bp.get("/transactions/w/<w>/actions")
@permission_required("process_carnet")
def hold_reject_forms(w: str):
    """Step 2's Hold and Reject forms, fetched by htmx when the officer opens "Hold or
    reject…" (posted by htmx: the CSRF token goes in the header)."""
    Wizard(w)
    return render_template("customs/_hold_reject.html", errors={}, oob=True, lazy=True)


def _step3(
    wz: Wizard, declared: list[dict], status: int = 200, errors=None, values=None, changes=None
):
    changes = changes or {}
    return render_step(
        3,
        status,
        panel=panel_of(wz),
        **wizard_context(wz),
        declared=declared,
        editable=engine.quantities_editable(wz.voucher),
        presented={i["no"]: changes.get(i["no"], i["qty"]) for i in declared},
        errors=errors or {},
        values=values or {},
    )


@bp.route("/transactions/w/<w>/goods", methods=["GET", "POST"])
@permission_required("process_carnet")
def check_goods(w: str):
    wz = Wizard(w)
    done = wz.receipt_url()
    if done is not None:  # Back after the commit: its receipt, never a second pass
        return redirect(done, 303)
    declared = declared_of(wz)
    editable = engine.quantities_editable(wz.voucher)
    source = request.form if request.method == "POST" else request.args
    changes, errors = quantities_in(source, declared) if editable else ({}, {})
    if request.method == "GET":  # the URL carries the pieces presented, nothing else
        return _step3(
            wz,
            declared,
            errors=errors,
            changes=changes,
            values={k: v for k, v in request.args.items() if QTY_KEY.fullmatch(k)},
        )
    if errors:
        return _step3(wz, declared, 422, errors, request.form)
    going_on = request.form.get("action") == "next"
    marks = {
        int(m.group(1)): v
        for k, v in request.form.items()
        if (m := MARKS_KEY.fullmatch(k)) is not None
    }
    current = {i["no"]: i["marks"] for i in declared}
    amended = travel_changes(wz.travel, request.form)
    try:
        if editable and (changes or going_on):
            engine.check_presented(db.session, wz.voucher.id, wz.officer, changes or None)
        changed = []
        if any(v.strip() and v.strip() != current.get(no) for no, v in marks.items()):
            changed = engine.mark_goods(db.session, wz.voucher.id, wz.officer, marks)
        if amended:
            amended = engine.amend_travel(db.session, wz.voucher.id, wz.officer, amended)
    except DomainError as e:
        db.session.rollback()
        return _step3(wz, declared, refusal_status(e), goods_errors(e, declared), request.form)
    db.session.commit()
    if changed:
        flash(_("Identification marks saved."), "success")
    if amended:
        flash(_("Your changes to the holder's details are saved and recorded."), "success")
    endpoint = "customs.commit" if going_on else "customs.check_goods"
    return redirect(url_for(endpoint, w=w) + quantities_query(changes), 303)


# --- step 4: commit --------------------------------------------------------------------------


def _step4(
    wz: Wizard, declared: list[dict], changes: dict[int, int], status: int = 200, errors=None
):
    goods = [{**i, "presented": changes.get(i["no"], i["qty"])} for i in declared]
    values = request.form
    if request.method == "GET" and wz.predeclaration_id is not None:
        values = prefilled_of(wz)  # opened from a pre-declaration: its fields pre-filled
    return render_step(
        4,
        status,
        panel=panel_of(wz),
        **wizard_context(wz),
        goods=goods,
        # a re-exportation's goods not re-exported (home use): any item of the general list
        general=goods_of(wz.carnet)[0] if wz.voucher.kind == "reexport" else [],
        changes=sorted(changes.items()),
        back="goods" + quantities_query(changes),
        eu_export=is_eu_export(wz),
        values=values,
        errors=errors or {},
    )


def _commit(wz: Wizard, fields: dict, step: str | None) -> engine.CommitResult:
    """The engine's one commit (`commit_voucher`): the voucher's open pre-declaration is closed
    with it in the same database transaction; a wizard opened from a pre-declaration's Commit
    (F-51) commits through that pre-declaration (still open, its office, R-01 … R-11)."""
    if wz.predeclaration_id is not None:
        return pd.commit(
            db.session,
            wz.predeclaration_id,
            wz.officer,
            fields=fields,
            step=step,
            commit_token=wz.commit_token,
        )
    return pd.commit_closing_open(
        db.session,
        wz.voucher.id,
        wz.officer,
        fields=fields,
        step=step,
        commit_token=wz.commit_token,
    )


@bp.route("/transactions/w/<w>/commit", methods=["GET", "POST"])
@permission_required("process_carnet")
def commit(w: str):
    wz = Wizard(w)
    declared = declared_of(wz)
    source = request.form if request.method == "POST" else request.args
    changes, errors = quantities_in(source, declared)
    editable = engine.quantities_editable(wz.voucher)
    # pieces sent where they can no longer change (a validation; an exportation pre-exported
    # meanwhile, in another tab): the engine refuses them, step 4 shows what will be cleared
    fixed = bool(changes or errors) and not editable
    if request.method == "GET" or fixed:
        done = wz.receipt_url()
        if done is not None:  # Back, a reload or a replay after this pass's commit
            return redirect(done, 303)
    if fixed:
        try:
            engine.check_presented(db.session, wz.voucher.id, wz.officer, changes)
        except DomainError as e:
            db.session.rollback()
            return _step4(wz, declared, {}, refusal_status(e), {"commit": e.message})
    if errors:  # the pieces presented are step 3's: back there, the message next to the field
        return _step3(wz, declared, 422, errors, source)
    if request.method == "GET":
        if changes:
            try:
                engine.check_presented(db.session, wz.voucher.id, wz.officer, changes)
            except DomainError as e:
                db.session.rollback()
                return _step3(wz, declared, refusal_status(e), goods_errors(e, declared), source)
        return _step4(wz, declared, changes)
    try:
        fields, step = commit_fields(wz.voucher.kind, request.form)
        if changes:
            fields["quantities"] = changes
        result = _commit(wz, fields, step)
    except DomainError as e:
        db.session.rollback()
        if editable and about_quantities(e):
            return _step3(
                wz, declared, refusal_status(e), goods_errors(e, declared), changes=changes
            )
        return _step4(wz, declared, changes, refusal_status(e), {e.field or "commit": e.message})
    db.session.commit()
    if result.replayed:  # a double click, a resubmitted form: the first commit stands
        flash(
            _("This pass was already committed: the receipt shows what was committed then."),
            "info",
        )
    return redirect(url_for("customs.receipt", transaction_id=result.transaction_id), 303)


# --- the transition: paper transactions and the paper cover page (F-72, F-37) -----------------


@bp.post("/transactions/w/<w>/paper")
@permission_required("process_carnet")
def record_paper(w: str):
    """A transaction made on the paper carnet, recorded from step 2 so the history is whole."""
    wz = Wizard(w)
    try:
        transition.record_paper_transaction(
            db.session,
            wz.carnet,
            transition.PaperInput.from_form(request.form),
            place=wz.place(),
            recorded_by=current_user.email,
            ip=request.remote_addr,
        )
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect_to(url_for("customs.check_carnet", w=w))
    db.session.commit()
    flash(_("The paper transaction is recorded in the carnet's history."), "success")
    return redirect_to(url_for("customs.check_carnet", w=w))


@bp.get("/carnets/<int:eata_id>/cover-pages/<int:cover_page_id>")
@permission_required("process_carnet")
def cover_page_file(eata_id: int, cover_page_id: int):
    """A paper cover page, as a download (F-37): every customs may see it, like the carnet."""
    try:
        carnet = carnet_domain.get_by_eata_id(db.session, eata_id)
        row = cover_pages.get(db.session, carnet.id, cover_page_id)
    except NotFound:
        abort(404)
    return send_upload(row.path, row.filename, row.content_type)
