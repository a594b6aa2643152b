"""Login (password, then the steps of the pending login), logout, forgotten password and the
set-password links of invitations and resets (F-10, F-11)."""

from __future__ import annotations

import smtplib

from flask import (
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.auth import bp
from portal.blueprints.auth.common import (
    CODE_LIMIT,
    FORGOT_LIMIT,
    LOGIN_LIMIT,
    RESET_MAIL_INTERVAL,
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
    send_mfa_code,
    send_password_reset,
)
from portal.blueprints.auth.enrol import enrol_email, enrol_totp
from portal.blueprints.auth.forms import (
    ButtonForm,
    CodeForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
)
from portal.blueprints.auth.login_flow import (
    continue_login,
    next_step,
    pending_required,
    start_pending,
    update_pending,
)
from portal.blueprints.auth.sso import LOGOUT_KEY as SSO_LOGOUT_KEY
from portal.blueprints.auth.sso import SESSION_KEY as SSO_SESSION_KEY
from portal.blueprints.auth.sso import end_session_url
from portal.domain import DomainError, identity, mfa, sso
from portal.domain.tokens import issued_recently
from portal.extensions import db, limiter
from portal.login import logout_current
from portal.models import Account
from portal.web import audit_request, redirect_to, show_refusal

# --- login and logout ---------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    provider = sso.active_provider(db.session, g.tenant.id)
    builtin = provider is None or provider.builtin_login
    if not builtin and request.method == "POST":
        form.form_errors.append(
            f"{g.tenant.name} logs in with {provider.display_name} only: use the button below."
        )
    elif form.validate_on_submit():
        email = form.email.data.strip().lower()
        result = identity.check_password_login(db.session, g.tenant.id, email, form.password.data)
        account = result.account
        if result.ok:
            audit_account("login.password_ok", account)
            start_pending(account, form.remember.data, relative(request.args.get("next")))
            db.session.commit()
            return continue_login()
        if result.outcome == "locked":
            audit_account("login.locked", account)
            form.form_errors.append(identity.lock_message(account))
        elif result.outcome == "lockout":
            audit_account("login.failure", account, reason="password")
            audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
            form.form_errors.append(identity.lock_message(account))
        else:
            audit_account(
                "login.failure", account, email, reason="password" if account else "unknown"
            )
            form.form_errors.append(_("The email or password is not correct."))
        db.session.commit()
    return render(
        "auth/login.html",
        form,
        next=relative(request.args.get("next")),
        sso_provider=provider,
        builtin_login=builtin,
    )


@bp.post("/logout")
def logout():
    provider_logout = None
    if current_user.is_authenticated:
        audit_request("logout", object_type="account", object_id=current_user.id)
        if session.get(SSO_SESSION_KEY):
            provider_logout = end_session_url(g.tenant.id)
        logout_current(current_user)
        db.session.commit()
    else:
        session.clear()
    flash(_("You are logged out."), "success")
    if provider_logout:
        session[SSO_LOGOUT_KEY] = provider_logout
        return redirect_to(url_for("auth.sso_logged_out"))
    return redirect_to(url_for("auth.login"))


def email_otp_for_login(account: Account, resend: bool = False) -> str | None:
    """Send the login code to the alternative address unless a live one exists. Returns an
    error message when too many were sent."""
    if not resend and mfa.live_email_otp(db.session, account) is not None:
        return None
    try:
        code = mfa.issue_email_otp(db.session, account, account.mfa_email)
    except DomainError as exc:
        return exc.message
    send_mfa_code(account, account.mfa_email, code, mfa.EMAIL_OTP_MINUTES)
    audit_account("mfa.email_sent", account)
    db.session.commit()
    return None


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_verify(data: dict, account: Account):
    if not account.mfa_method or data.get("mfa_ok"):
        return continue_login()
    form = CodeForm()
    notice = None
    if request.method == "GET" and account.mfa_method == "email":
        notice = email_otp_for_login(account)
    if form.validate_on_submit():
        if identity.is_locked(account):
            session.pop("pending_login", None)
            audit_account("login.locked", account)
            db.session.commit()
            flash(identity.lock_message(account), "error")
            return redirect_to(url_for("auth.login"))
        how = mfa.verify_second_factor(db.session, account, form.code.data)
        if how:
            audit_account("mfa.success", account, method=how)
            update_pending(mfa_ok=True)
            db.session.commit()
            if how == "recovery":
                left = mfa.recovery_codes_left(db.session, account)
                flash(
                    _(
                        "Recovery code used: %(left)s left. Make new ones from the account menu "
                        "when you run low.",
                        left=left,
                    ),
                    "warning",
                )
            return continue_login()
        locked = identity.record_failure(account)
        audit_account("mfa.failure", account, method=account.mfa_method)
        if locked:
            return locked_out(account, lambda: session.pop("pending_login", None))
        db.session.commit()
        form.code.errors = [_("This code is not correct, already used or expired.")]
    return render(
        "auth/verify.html", form, account=account, notice=notice, resend_form=ButtonForm()
    )


@bp.post("/login/verify/resend")
@limiter.limit(CODE_LIMIT)
@pending_required
def login_verify_resend(data: dict, account: Account):
    if ButtonForm().validate_on_submit() and account.mfa_method == "email":
        problem = email_otp_for_login(account, resend=True)
        flash(
            problem
            or _("A new code was sent to %(address)s.", address=mask_email(account.mfa_email)),
            "warning" if problem else "success",
        )
    return redirect_to(url_for("auth.login_verify"))


@bp.route("/login/new-password", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_new_password(data: dict, account: Account):
    if next_step(data, account) != "auth.login_new_password":
        return continue_login()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            identity.set_password(db.session, account, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            show_refusal(form, exc)
        else:
            audit_account("password.changed", account, forced=True)
            db.session.commit()
            flash(_("Your new password is saved."), "success")
            return continue_login()
    return render(
        "auth/new_password.html",
        form,
        forced=True,
        hint=password_hint(account),
        action=url_for("auth.login_new_password"),
    )


@bp.get("/login/enrol")
@pending_required
def login_enrol(data: dict, account: Account):
    if next_step(data, account) != "auth.login_enrol":
        return continue_login()
    return redirect(url_for("auth.login_enrol_totp"))


@bp.route("/login/enrol/totp", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_enrol_totp(data: dict, account: Account):
    if next_step(data, account) != "auth.login_enrol":
        return continue_login()
    return enrol_totp(account, url_for("auth.login_enrol_totp"), in_login=True)


@bp.route("/login/enrol/email", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_enrol_email(data: dict, account: Account):
    if next_step(data, account) != "auth.login_enrol":
        return continue_login()
    return enrol_email(account, url_for("auth.login_enrol_email"), in_login=True)


# --- invitations, resets ------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotForm()
    if not sso.builtin_login_allowed(db.session, g.tenant.id):
        flash(
            _(
                "%(administration)s logs in with its own login only: no portal password.",
                administration=g.tenant.name,
            ),
            "info",
        )
        return redirect_to(url_for("auth.login"))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = identity.find_account(db.session, g.tenant.id, email)
        if account is not None and account.active:
            if issued_recently(db.session, account, "reset", RESET_MAIL_INTERVAL):
                # one mail per minute per account: no mail-bombing (the answer stays the same)
                audit_account("password.reset_throttled", account)
            else:
                try:
                    send_password_reset(account)
                except (OSError, smtplib.SMTPException):
                    # the same answer as for an unknown email: a failure must not tell them apart
                    current_app.logger.exception(
                        "password reset mail to account %s failed", account.id
                    )
                    audit_account("password.reset_mail_failed", account)
                else:
                    audit_account("password.reset_requested", account)
        else:
            audit_account("password.reset_requested", None, email, known=False)
        db.session.commit()
        flash(
            _(
                "If an account uses this email, a message with a link to set a new password is "
                "on its way. The link works for %(minutes)s minutes.",
                minutes=current_app.config["RESET_TOKEN_MINUTES"],
            ),
            "success",
        )
        return redirect_to(url_for("auth.login"))
    return render("auth/forgot.html", form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(limit("TOKEN_RATE_LIMIT", "20 per minute"))
def set_password(token: str):
    found = identity.token_account(db.session, g.tenant.id, token)
    if found is None:
        return link_invalid("set-password")
    if current_user.is_authenticated:  # only a valid link ends the session it is opened in
        logout_current(current_user)
        db.session.commit()
    purpose, account = found
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            identity.set_password_with_token(db.session, g.tenant.id, token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            show_refusal(form, exc)
        else:
            audit_account("password.set", account, via=purpose)
            db.session.commit()
            session.clear()
            flash(_("Your password is saved. Log in with it now."), "success")
            return redirect_to(url_for("auth.login"))
    return render(
        "auth/new_password.html",
        form,
        forced=False,
        purpose=purpose,
        account=account,
        hint=password_hint(account),
        action=url_for("auth.set_password", token=token),
    )
