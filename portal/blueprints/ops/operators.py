"""Operator accounts in the console (docs/operator.md): the list, inviting an operator (a
single-use link to set a password; TOTP is enrolled at the first login, as for operators made
with `flask ops create-operator`), deactivating / reactivating, resetting the second factor;
and the invited operator's page that sets the password. Each change is audited."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.blueprints.auth.forms import NewPasswordForm
from portal.blueprints.ops.app import bp
from portal.blueprints.ops.forms import ButtonForm, OperatorInviteForm
from portal.blueprints.ops.routes import _get, _keep_once, _refused, _take_once
from portal.blueprints.ops.session import actor, operator_required
from portal.domain import DomainError
from portal.domain.info import operators
from portal.extensions import db, limiter
from portal.mail import send_mail
from portal.models import Operator
from portal.tenancy import site_url
from portal.web import redirect_to, render_page


def _send_invitation(operator: Operator, raw: str) -> str:
    link = site_url("ops", None, url_for("ops.welcome", token=raw))
    send_mail(
        current_app.config,
        operator.email,
        _("Your eATA operator account"),
        _(
            "Hello %(name)s,\n\nAn operator account of the eATA console was created for you.\n"
            "Set your password within %(days)s days with this single-use link:\n\n%(link)s\n\n"
            "At the first login you enrol an authenticator app; it is asked at every login.\n",
            name=operator.full_name,
            days=operators.INVITATION_DAYS,
            link=link,
        ),
    )
    return link


def _page(form: OperatorInviteForm | None = None, status: int = 200):
    kept = _take_once("operator_invitation") if request.method == "GET" else None
    link = kept["link"] if kept else None
    return render_page(
        "ops/operators.html",
        form=form if form is not None else OperatorInviteForm(formdata=None),
        operators=operators.all_operators(db.session),
        link=link,
        buttons=ButtonForm(),
        status=status,
    )


@bp.route("/operators", methods=["GET", "POST"])
@operator_required
def operator_list():
    form = OperatorInviteForm()
    if form.validate_on_submit():
        try:
            operator, raw = operators.invite_operator(
                db.session, form.email.data, form.full_name.data, actor=actor()
            )
            link = _send_invitation(operator, raw)
            db.session.commit()
            flash(_("%(email)s is invited; the link was emailed.", email=operator.email), "success")
            _keep_once("operator_invitation", link=link)  # shown once after the redirect
            return redirect_to(url_for("ops.operator_list"))
        except DomainError as exc:
            _refused(form, exc)
    return _page(form, 422 if form.errors or form.form_errors else 200)


@bp.post("/operators/<int:operator_id>/<any(deactivate, reactivate, 'reset-mfa', invite):action>")
@operator_required
def operator_action(operator_id: int, action: str):
    operator = _get(Operator, operator_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    link = None
    try:
        if action in ("deactivate", "reactivate"):
            operators.set_active(db.session, operator, action == "reactivate", actor=actor())
            message = (
                _("%(email)s can log in again.", email=operator.email)
                if action == "reactivate"
                else _("%(email)s is deactivated; their sessions ended.", email=operator.email)
            )
        elif action == "reset-mfa":
            operators.reset_mfa(db.session, operator, actor=actor())
            message = _(
                "The authenticator app of %(email)s is forgotten: they enrol a new one at "
                "the next login.",
                email=operator.email,
            )
        else:
            link = _send_invitation(
                operator, operators.renew_invitation(db.session, operator, actor=actor())
            )
            message = _("A new link was emailed to %(email)s.", email=operator.email)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(status=422)
    flash(message, "success")
    if link:  # shown once after the redirect, as when inviting
        _keep_once("operator_invitation", link=link)
    return redirect_to(url_for("ops.operator_list"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def welcome(token: str):
    """The invited operator sets a password (no session: the link is the proof)."""
    operator = operators.invited(db.session, token)
    if operator is None:
        return render_page("ops/link_invalid.html", status=404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            operators.accept_invitation(db.session, token, form.password.data, request.remote_addr)
            db.session.commit()
            flash(_("Your password is set. Log in, then enrol your authenticator app."), "success")
            return redirect(url_for("ops.login"))
        except DomainError as exc:
            _refused(form, exc)
    return render_page(
        "ops/welcome.html",
        form=form,
        operator=operator,
        status=422 if form.errors or form.form_errors else 200,
    )
