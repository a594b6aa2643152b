"""Login (password, then second factor), logout, invitations and resets, the account menu
(F-10 … F-12). The rules live in portal/domain/{identity,mfa,passwords,sessions}.py.

The login is two-step: the password step stores a short-lived *pending login* in the signed
session (account id, expiry, remember me, when the password was typed); the session becomes
logged in (a server-side session, a new id) only when every step is done: second factor,
forced password change, MFA enrolment when MFA is required.
"""
from __future__ import annotations

import datetime as dt
import smtplib
from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from portal.blueprints.auth import bp
from portal.blueprints.auth.emails import (
    send_account_invitation,
    send_email_change_link,
    send_email_changed,
    send_mfa_code,
    send_password_changed,
    send_password_reset,
)
from portal.blueprints.auth.forms import (
    ButtonForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    EmailMfaForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
    OfficeForm,
    ReauthForm,
)
from portal.db import now_utc
from portal.domain import DomainError, identity, mfa
from portal.domain.passwords import MIN_LENGTH, MIN_LENGTH_WITH_MFA
from portal.domain.sessions import recently_verified
from portal.domain.tokens import issued_recently
from portal.extensions import db, limiter
from portal.login import login_account, logout_current
from portal.models import Account
from portal.web import audit_request

PENDING_MINUTES = 10
RESET_MAIL_INTERVAL = dt.timedelta(minutes=1)


@bp.record
def _configure(state) -> None:
    mfa.configure(state.app.config["DATA_KEYS"])


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


LOGIN_LIMIT = _limit("LOGIN_RATE_LIMIT", "10 per minute")
CODE_LIMIT = _limit("CODE_RATE_LIMIT", "10 per minute")
FORGOT_LIMIT = _limit("FORGOT_RATE_LIMIT", "5 per minute")


def _audit_account(action: str, account: Account | None, email: str = "", **data) -> None:
    audit_request(action, actor_type="account" if account else "anonymous",
                  actor_id=account.id if account else None,
                  actor_label=account.email if account else email,
                  object_type="account" if account else None,
                  object_id=account.id if account else None, data=data or None)


def _form_error(form, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _render(template: str, form=None, status: int | None = None, **ctx):
    if status is None:
        status = 422 if form is not None and request.method == "POST" else 200
    return render_template(template, form=form, **ctx), status


def _password_hint(account: Account | None) -> str:
    n = MIN_LENGTH_WITH_MFA if account is not None and account.mfa_method else MIN_LENGTH
    return (f"At least {n} characters. A few unrelated words make a good one; no need for digits "
            "or symbols. Common passwords and your email name are refused.")


# --- the pending login --------------------------------------------------------------------

def _start_pending(account: Account, remember: bool, next_path: str | None) -> None:
    session.clear()
    now = now_utc()
    session["pending_login"] = {
        "aid": account.id, "cid": g.tenant.id, "remember": bool(remember), "mfa_ok": False,
        "next": next_path,
        "exp": (now + dt.timedelta(minutes=PENDING_MINUTES)).isoformat(),
        "pw_at": now.isoformat(),
    }


def _pending() -> tuple[dict, Account] | None:
    data = session.get("pending_login")
    if not data or data.get("cid") != g.tenant.id:
        return None
    if dt.datetime.fromisoformat(data["exp"]) <= now_utc():
        session.pop("pending_login", None)
        return None
    account = db.session.get(Account, data["aid"])
    if account is None or not account.active or account.customs_id != g.tenant.id:
        return None
    return data, account


def _update_pending(**changes) -> None:
    data = dict(session["pending_login"])
    data.update(changes)
    session["pending_login"] = data


def _next_step(data: dict, account: Account) -> str | None:
    if account.mfa_method and not data.get("mfa_ok"):
        return "auth.login_verify"
    if account.must_change_password:
        return "auth.login_new_password"
    if mfa.mfa_required(account, g.tenant) and not account.mfa_method:
        return "auth.login_enrol"
    return None


def _finish_login(data: dict, account: Account) -> None:
    login_account(account, remember=data["remember"],
                  password_verified_at=dt.datetime.fromisoformat(data["pw_at"]))
    identity.record_success(account)
    account.last_login_at = now_utc()
    _audit_account("login.success", account, remember=data["remember"],
                   mfa=account.mfa_method or "none")
    db.session.commit()


def _continue_login():
    """Go to the next step of the pending login, or finish it."""
    found = _pending()
    if found is None:
        flash("Your login took too long or was interrupted. Please log in again.", "warning")
        return redirect(url_for("auth.login"), code=303)
    data, account = found
    step = _next_step(data, account)
    if step is not None:
        return redirect(url_for(step), code=303)
    _finish_login(data, account)
    return redirect(data.get("next") or url_for("home.index"), code=303)


def pending_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        found = _pending()
        if found is None:
            flash("Your login took too long or was interrupted. Please log in again.", "warning")
            return redirect(url_for("auth.login"), code=303)
        return view(*found, *args, **kwargs)

    return wrapped


# --- login and logout ---------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        result = identity.check_password_login(db.session, g.tenant.id, email, form.password.data)
        account = result.account
        if result.ok:
            _audit_account("login.password_ok", account)
            _start_pending(account, form.remember.data, _relative(request.args.get("next")))
            db.session.commit()
            return _continue_login()
        if result.outcome == "locked":
            _audit_account("login.locked", account)
            form.form_errors.append(identity.lock_message(account))
        elif result.outcome == "lockout":
            _audit_account("login.failure", account, reason="password")
            _audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
            form.form_errors.append(identity.lock_message(account))
        else:
            _audit_account("login.failure", account, email, reason="password" if account else "unknown")
            form.form_errors.append("The email or password is not correct.")
        db.session.commit()
    return _render("auth/login.html", form, next=_relative(request.args.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        audit_request("logout", object_type="account", object_id=current_user.id)
        logout_current(current_user)
        db.session.commit()
    else:
        session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"), code=303)


def _email_otp_for_login(account: Account, resend: bool = False) -> str | None:
    """Send the login code to the alternative address unless a live one exists. Returns an
    error message when too many were sent."""
    if not resend and mfa.live_email_otp(db.session, account) is not None:
        return None
    try:
        code = mfa.issue_email_otp(db.session, account, account.mfa_email)
    except DomainError as exc:
        return exc.message
    send_mfa_code(account, account.mfa_email, code, mfa.EMAIL_OTP_MINUTES)
    _audit_account("mfa.email_sent", account)
    db.session.commit()
    return None


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_verify(data: dict, account: Account):
    if not account.mfa_method or data.get("mfa_ok"):
        return _continue_login()
    form = CodeForm()
    notice = None
    if request.method == "GET" and account.mfa_method == "email":
        notice = _email_otp_for_login(account)
    if form.validate_on_submit():
        if identity.is_locked(account):
            session.pop("pending_login", None)
            _audit_account("login.locked", account)
            db.session.commit()
            flash(identity.lock_message(account), "error")
            return redirect(url_for("auth.login"), code=303)
        how = mfa.verify_second_factor(db.session, account, form.code.data)
        if how:
            _audit_account("mfa.success", account, method=how)
            _update_pending(mfa_ok=True)
            db.session.commit()
            if how == "recovery":
                left = mfa.recovery_codes_left(db.session, account)
                flash(f"Recovery code used: {left} left. Make new ones from the account menu "
                      "when you run low.", "warning")
            return _continue_login()
        locked = identity.record_failure(account)
        _audit_account("mfa.failure", account, method=account.mfa_method)
        if locked:
            _audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
            session.pop("pending_login", None)
            db.session.commit()
            flash(identity.lock_message(account), "error")
            return redirect(url_for("auth.login"), code=303)
        db.session.commit()
        form.code.errors = ["This code is not correct, already used or expired."]
    return _render("auth/verify.html", form, account=account, notice=notice,
                   resend_form=ButtonForm())


@bp.post("/login/verify/resend")
@limiter.limit(CODE_LIMIT)
@pending_required
def login_verify_resend(data: dict, account: Account):
    if ButtonForm().validate_on_submit() and account.mfa_method == "email":
        problem = _email_otp_for_login(account, resend=True)
        flash(problem or f"A new code was sent to {mask_email(account.mfa_email)}.",
              "warning" if problem else "success")
    return redirect(url_for("auth.login_verify"), code=303)


@bp.route("/login/new-password", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_new_password(data: dict, account: Account):
    if _next_step(data, account) != "auth.login_new_password":
        return _continue_login()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            identity.set_password(db.session, account, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            _audit_account("password.changed", account, forced=True)
            db.session.commit()
            flash("Your new password is saved.", "success")
            return _continue_login()
    return _render("auth/new_password.html", form, forced=True,
                   hint=_password_hint(account), action=url_for("auth.login_new_password"))


# --- MFA enrolment (at login when MFA is required, and from the account menu) --------------

def _totp_secret(account: Account) -> str:
    pending = session.get("totp_enrol")
    if not pending or pending.get("aid") != account.id:
        pending = {"aid": account.id, "secret": mfa.new_totp_secret()}
        session["totp_enrol"] = pending
    return pending["secret"]


def _enrol_totp(account: Account, action: str, in_login: bool):
    secret = _totp_secret(account)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable_totp(db.session, account, secret, form.code.data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            session.pop("totp_enrol", None)
            _audit_account("mfa.enabled", account, method="totp")
            return _enrolled(account, codes, in_login)
    uri = mfa.provisioning_uri(secret, account.email, f"eATA {g.tenant.name}")
    return _render("auth/enrol_totp.html", form, account=account, secret=secret,
                   qr=mfa.qr_data_uri(uri), action=action, in_login=in_login)


def _enrol_email(account: Account, action: str, in_login: bool):
    address_form = EmailMfaForm(prefix="addr")
    code_form = CodeForm(prefix="otp")
    sent_to = session.get("email_enrol", {}).get("address") \
        if session.get("email_enrol", {}).get("aid") == account.id else None
    if request.method == "POST" and "addr-address" in request.form:
        if address_form.validate():
            try:
                address = mfa.check_alternative_email(account, address_form.address.data)
                code = mfa.issue_email_otp(db.session, account, address)
            except DomainError as exc:
                db.session.rollback()
                _form_error(address_form, exc)
            else:
                send_mfa_code(account, address, code, mfa.EMAIL_OTP_MINUTES)
                session["email_enrol"] = {"aid": account.id, "address": address}
                db.session.commit()
                flash(f"A code was sent to {address}.", "success")
                return redirect(action, code=303)
    elif request.method == "POST" and "otp-code" in request.form and sent_to:
        if code_form.validate():
            try:
                codes = mfa.enable_email_mfa(db.session, account, code_form.code.data)
            except DomainError as exc:
                db.session.commit()  # the attempt is counted on the code
                _form_error(code_form, exc)
            else:
                session.pop("email_enrol", None)
                _audit_account("mfa.enabled", account, method="email")
                return _enrolled(account, codes, in_login)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/enrol_email.html", address_form=address_form, code_form=code_form,
                           sent_to=sent_to, action=action, in_login=in_login), status


def _enrolled(account: Account, codes: list[str], in_login: bool):
    """MFA is on: show the recovery codes once (rendered, never stored in clear)."""
    if in_login:
        found = _pending()
        data = found[0] if found else None
        if data is None:
            db.session.rollback()
            flash("Your login took too long. Please log in again.", "warning")
            return redirect(url_for("auth.login"), code=303)
        data = dict(data, mfa_ok=True)
        _update_pending(mfa_ok=True)
        if _next_step(data, account) is None:
            _finish_login(data, account)
        else:
            db.session.commit()
    else:
        db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, in_login=in_login), 200


@bp.get("/login/enrol")
@pending_required
def login_enrol(data: dict, account: Account):
    if _next_step(data, account) != "auth.login_enrol":
        return _continue_login()
    return redirect(url_for("auth.login_enrol_totp"))


@bp.route("/login/enrol/totp", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_enrol_totp(data: dict, account: Account):
    if _next_step(data, account) != "auth.login_enrol":
        return _continue_login()
    return _enrol_totp(account, url_for("auth.login_enrol_totp"), in_login=True)


@bp.route("/login/enrol/email", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@pending_required
def login_enrol_email(data: dict, account: Account):
    if _next_step(data, account) != "auth.login_enrol":
        return _continue_login()
    return _enrol_email(account, url_for("auth.login_enrol_email"), in_login=True)


# --- invitations, resets ------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = identity.find_account(db.session, g.tenant.id, email)
        if account is not None and account.active:
            if issued_recently(db.session, account, "reset", RESET_MAIL_INTERVAL):
                # one mail per minute per account: no mail-bombing (the answer stays the same)
                _audit_account("password.reset_throttled", account)
            else:
                try:
                    send_password_reset(account)
                except (OSError, smtplib.SMTPException):
                    # the same answer as for an unknown email: a failure must not tell them apart
                    current_app.logger.exception("password reset mail to account %s failed",
                                                 account.id)
                    _audit_account("password.reset_mail_failed", account)
                else:
                    _audit_account("password.reset_requested", account)
        else:
            _audit_account("password.reset_requested", None, email, known=False)
        db.session.commit()
        flash("If an account uses this email, a message with a link to set a new password is on "
              f"its way. The link works for {current_app.config['RESET_TOKEN_MINUTES']} minutes.",
              "success")
        return redirect(url_for("auth.login"), code=303)
    return _render("auth/forgot.html", form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("TOKEN_RATE_LIMIT", "20 per minute"))
def set_password(token: str):
    found = identity.token_account(db.session, g.tenant.id, token)
    if found is None:
        _audit_account("token.invalid", None, page="set-password")
        db.session.commit()
        return render_template("auth/link_invalid.html"), 404
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
            _form_error(form, exc)
        else:
            _audit_account("password.set", account, via=purpose)
            db.session.commit()
            session.clear()
            flash("Your password is saved. Log in with it now.", "success")
            return redirect(url_for("auth.login"), code=303)
    return _render("auth/new_password.html", form, forced=False, purpose=purpose, account=account,
                   hint=_password_hint(account), action=url_for("auth.set_password", token=token))


# --- the account menu ---------------------------------------------------------------------

def _relative(target: str | None) -> str | None:
    """`target` when it is a path on this site (never another host: no open redirect).
    Whitespace and control characters are refused: browsers drop tabs and newlines from a URL,
    so "/\t/evil.example" would become "//evil.example"."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target)):
        return target
    return None


def _safe_next(target: str | None) -> str:
    return _relative(target) or url_for("auth.mfa_settings")


def reauth_required(view):
    """MFA and login-email changes need the password typed within the last few minutes."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        us = getattr(current_user, "user_session", None)
        if us is None or not recently_verified(us, dt.timedelta(minutes=identity.REAUTH_MINUTES),
                                               now_utc()):
            return redirect(url_for("auth.reauth", next=request.full_path.rstrip("?")), code=303)
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
            _audit_account("reauth.success", account)
            db.session.commit()
            return redirect(target, code=303)
        locked = identity.record_failure(account)
        _audit_account("reauth.failure", account)
        if locked:
            _audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
            logout_current(account)
            db.session.commit()
            flash(identity.lock_message(account), "error")
            return redirect(url_for("auth.login"), code=303)
        db.session.commit()
        form.password.errors = ["The password is not correct."]
    return _render("auth/reauth.html", form, target=target)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        remember = account.user_session.remember
        try:
            identity.change_password(db.session, account, form.current_password.data,
                                     form.password.data)
        except DomainError as exc:
            _audit_account("password.change_refused", account, field=exc.field)
            if exc.field == "current_password" and identity.is_locked(account):
                # guessing the password here ends the session, as on the re-authentication page
                _audit_account("login.lockout", account, minutes=identity.LOCK_MINUTES)
                logout_current(account)
                db.session.commit()
                flash(identity.lock_message(account), "error")
                return redirect(url_for("auth.login"), code=303)
            db.session.commit()
            _form_error(form, exc)
        else:
            # every session of the account is revoked; this browser gets a fresh one
            login_account(account, remember=remember, password_verified_at=now_utc())
            _audit_account("password.changed", account)
            db.session.commit()
            send_password_changed(account)
            flash("Your password is changed. Your other sessions were logged out.", "success")
            return redirect(url_for("home.index"), code=303)
    return _render("auth/change_password.html", form, hint=_password_hint(current_user))


@bp.get("/account/mfa")
@login_required
def mfa_settings():
    account = current_user
    return render_template(
        "auth/mfa.html", account=account, required=mfa.mfa_required(account, g.tenant),
        codes_left=mfa.recovery_codes_left(db.session, account) if account.mfa_method else 0,
        button=ButtonForm(), masked=mask_email(account.mfa_email) if account.mfa_email else "")


@bp.route("/account/mfa/totp", methods=["GET", "POST"])
@login_required
@reauth_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def mfa_totp():
    return _enrol_totp(current_user._get_current_object(), url_for("auth.mfa_totp"), in_login=False)


@bp.route("/account/mfa/email", methods=["GET", "POST"])
@login_required
@reauth_required
@limiter.limit(CODE_LIMIT, methods=["POST"])
def mfa_email():
    return _enrol_email(current_user._get_current_object(), url_for("auth.mfa_email"), in_login=False)


@bp.post("/account/mfa/recovery-codes")
@login_required
@reauth_required
def mfa_recovery_codes():
    account = current_user._get_current_object()
    if not ButtonForm().validate_on_submit() or not account.mfa_method:
        abort(400)
    codes = mfa.new_recovery_codes(db.session, account)
    _audit_account("mfa.recovery_codes_renewed", account)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, in_login=False), 200


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
        _audit_account("mfa.disable_refused", account)
        db.session.commit()
        flash(exc.message, "error")
        return redirect(url_for("auth.mfa_settings"), code=303)
    _audit_account("mfa.disabled", account)
    db.session.commit()
    flash("Multifactor authentication is off. Your password must now have at least "
          f"{MIN_LENGTH} characters when you next change it.", "success")
    return redirect(url_for("auth.mfa_settings"), code=303)


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
            _form_error(form, exc)
        else:
            _audit_account("account.email_change_requested", account, new=new_email)
            db.session.commit()
            send_email_change_link(account, new_email, raw, identity.EMAIL_CHANGE_MINUTES)
            flash(f"We sent a link to {new_email}. Your login email changes when you open it "
                  f"(within {identity.EMAIL_CHANGE_MINUTES} minutes).", "success")
            return redirect(url_for("home.index"), code=303)
    return _render("auth/change_email.html", form)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("TOKEN_RATE_LIMIT", "20 per minute"))
def confirm_email(token: str):
    """GET shows a button (mail scanners that open links change nothing); POST confirms."""
    found = identity.email_change_of(db.session, g.tenant.id, token)
    if found is None:
        _audit_account("token.invalid", None, page="confirm-email")
        db.session.commit()
        return render_template("auth/link_invalid.html", email_change=True), 404
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            account, old = identity.confirm_email_change(db.session, g.tenant.id, token)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("auth.login"), code=303)
        _audit_account("account.email_changed", account, old=old)
        if account.password_hash is None:  # invited, never logged in: a new invitation here
            send_account_invitation(account)
        db.session.commit()
        send_email_changed(account, old)
        flash(f"Your login email is now {account.email}."
              + ("" if account.password_hash else " We sent you a link to set your password.")
              , "success")
        return redirect(url_for("home.index" if current_user.is_authenticated else "auth.login"),
                        code=303)
    account, new_email = found
    return render_template("auth/confirm_email.html", form=form, new_email=new_email,
                           account=account)


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
                    audit_request("permission.denied", object_type="office",
                                  object_id=form.office_id.data, data={"path": request.path})
                    db.session.commit()
                _form_error(form, exc)
            else:
                _audit_account("account.office_changed", account, office_id=office.id)
                db.session.commit()
                flash(f"Your default office is now {office.name}.", "success")
                return redirect(url_for("home.index"), code=303)
    return _render("auth/office.html", form, offices=offices)


def mask_email(address: str | None) -> str:
    if not address or "@" not in address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:2]}{'•' * max(1, len(local) - 2)}@{domain}"
