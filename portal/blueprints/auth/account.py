"""The account menu (F-12): re-authentication, password, MFA, login email (confirmed by the
new address), default office."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import (
    abort,
    flash,
    g,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.blueprints.auth import bp
from portal.blueprints.auth.common import (
    CODE_LIMIT,
    audit_account,
    limit,
    link_invalid,
    locked_out,
    mask_email,
    password_hint,
    relative,
    render,
)
from portal.blueprints.auth.emails import (
    send_account_invitation,
    send_email_change_link,
    send_email_changed,
    send_password_changed,
)
from portal.blueprints.auth.enrol import enrol_email, enrol_totp
from portal.blueprints.auth.forms import (
    ButtonForm,
    ChangeEmailForm,
    ChangePasswordForm,
    OfficeForm,
    ReauthForm,
)
from portal.db import now_utc
from portal.domain import DomainError, identity, mfa
from portal.domain.passwords import MIN_LENGTH
from portal.domain.sessions import recently_verified
from portal.extensions import db, limiter
from portal.login import login_account, logout_current
from portal.web import audit_request, redirect_to, render_page, show_refusal


def _safe_next(target: str | None) -> str:
    return relative(target) or url_for("auth.mfa_settings")


def reauth_required(view):
    """MFA and login-email changes need the password typed within the last few minutes."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        us = getattr(current_user, "user_session", None)
        if us is None or not recently_verified(
            us, dt.timedelta(minutes=identity.REAUTH_MINUTES), now_utc()
        ):
            return redirect_to(url_for("auth.reauth", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/account/confirm-password", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def reauth():
    form = ReauthForm()
    target = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        account = current_user
        if identity.verify_password(account, form.password.data):
            account.user_session.password_verified_at = now_utc()
            identity.record_success(account)
            audit_account("reauth.success", account)
            db.session.commit()
            return redirect_to(target)
        locked = identity.record_failure(account)
        audit_account("reauth.failure", account)
        if locked:
            return locked_out(account, lambda: logout_current(account))
        db.session.commit()
        form.password.errors = [_("The password is not correct.")]
    return render("auth/reauth.html", form, target=target)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        remember = account.user_session.remember
        try:
            identity.change_password(
                db.session, account, form.current_password.data, form.password.data
            )
        except DomainError as exc:
            audit_account("password.change_refused", account, field=exc.field)
            if exc.field == "current_password" and identity.is_locked(account):
                # guessing the password here ends the session, as on the re-authentication page
                return locked_out(account, lambda: logout_current(account))
            db.session.commit()
            show_refusal(form, exc)
        else:
            # every session of the account is revoked; this browser gets a fresh one
            login_account(account, remember=remember, password_verified_at=now_utc())
            audit_account("password.changed", account)
            db.session.commit()
            send_password_changed(account)
            flash(_("Your password is changed. Your other sessions were logged out."), "success")
            return redirect_to(url_for("home.index"))
    return render("auth/change_password.html", form, hint=password_hint(current_user))


@bp.get("/account/mfa")
@login_required
def mfa_settings():
    account = current_user
    return render_page(
        "auth/mfa.html",
        account=account,
        required=mfa.mfa_required(account, g.tenant),
        codes_left=mfa.recovery_codes_left(db.session, account) if account.mfa_method else 0,
        button=ButtonForm(),
        masked=mask_email(account.mfa_email) if account.mfa_email else "",
    )


@bp.route("/account/mfa/totp", methods=["GET", "POST"])
@login_required
@reauth_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def mfa_totp():
    return enrol_totp(current_user._get_current_object(), url_for("auth.mfa_totp"), in_login=False)


@bp.route("/account/mfa/email", methods=["GET", "POST"])
@login_required
@reauth_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def mfa_email():
    return enrol_email(
        current_user._get_current_object(), url_for("auth.mfa_email"), in_login=False
    )


@bp.post("/account/mfa/recovery-codes")
@login_required
@reauth_required
def mfa_recovery_codes():
    account = current_user._get_current_object()
    if not ButtonForm().validate_on_submit() or not account.mfa_method:
        abort(400)
    codes = mfa.new_recovery_codes(db.session, account)
    audit_account("mfa.recovery_codes_renewed", account)
    db.session.commit()
    return render_page("auth/recovery_codes.html", codes=codes, in_login=False)


@bp.post("/account/mfa/disable")
@login_required
@reauth_required
def mfa_disable():
    account = current_user._get_current_object()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        mfa.disable_mfa(db.session, account, g.tenant)
    except DomainError as exc:
        audit_account("mfa.disable_refused", account)
        db.session.commit()
        flash(exc.message, "error")
        return redirect_to(url_for("auth.mfa_settings"))
    audit_account("mfa.disabled", account)
    db.session.commit()
    flash(
        _(
            "Multifactor authentication is off. Your password must now have at least "
            "%(count)s characters when you next change it.",
            count=MIN_LENGTH,
        ),
        "success",
    )
    return redirect_to(url_for("auth.mfa_settings"))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@reauth_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        try:
            new_email, raw = identity.request_email_change(db.session, account, form.email.data)
        except DomainError as exc:
            db.session.rollback()
            show_refusal(form, exc)
        else:
            audit_account("account.email_change_requested", account, new=new_email)
            db.session.commit()
            send_email_change_link(account, new_email, raw, identity.EMAIL_CHANGE_MINUTES)
            flash(
                _(
                    "We sent a link to %(email)s. Your login email changes when you open it "
                    "(within %(minutes)s minutes).",
                    email=new_email,
                    minutes=identity.EMAIL_CHANGE_MINUTES,
                ),
                "success",
            )
            return redirect_to(url_for("home.index"))
    return render("auth/change_email.html", form)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(limit("TOKEN_RATE_LIMIT", "20 per minute"))
def confirm_email(token: str):
    """GET shows a button (mail scanners that open links change nothing); POST confirms."""
    found = identity.email_change_of(db.session, g.tenant.id, token)
    if found is None:
        return link_invalid("confirm-email", email_change=True)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            account, old = identity.confirm_email_change(db.session, g.tenant.id, token)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect_to(url_for("auth.login"))
        audit_account("account.email_changed", account, old=old)
        if account.password_hash is None:  # invited, never logged in: a new invitation here
            send_account_invitation(account)
        db.session.commit()
        send_email_changed(account, old)
        flash(
            _("Your login email is now %(email)s.", email=account.email)
            + (
                "" if account.password_hash else " " + _("We sent you a link to set your password.")
            ),
            "success",
        )
        return redirect_to(url_for("home.index" if current_user.is_authenticated else "auth.login"))
    account, new_email = found
    return render_page("auth/confirm_email.html", form=form, new_email=new_email, account=account)


@bp.route("/account/office", methods=["GET", "POST"])
@login_required
def default_office():
    account = current_user._get_current_object()
    form = OfficeForm()
    offices = identity.allowed_offices(db.session, account)
    form.office_id.choices = [(o.id, o.name) for o in offices]
    if request.method == "GET" and account.office_id:
        form.office_id.data = account.office_id
    if request.method == "POST":
        form.office_id.pre_validate = lambda _form: None  # the domain says why an office is refused
        if form.validate_on_submit():
            try:
                office = identity.change_default_office(db.session, account, form.office_id.data)
            except DomainError as exc:
                db.session.rollback()
                if exc.status == 403:
                    audit_request(
                        "permission.denied",
                        object_type="office",
                        object_id=form.office_id.data,
                        data={"path": request.path},
                    )
                    db.session.commit()
                show_refusal(form, exc)
            else:
                audit_account("account.office_changed", account, office_id=office.id)
                db.session.commit()
                flash(_("Your default office is now %(office)s.", office=office.name), "success")
                return redirect_to(url_for("home.index"))
    return render("auth/office.html", form, offices=offices)
