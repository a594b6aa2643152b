"""Wallet accounts (F-17): register, confirm email, login (+ TOTP), wallet PIN, logout, account."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal.blueprints.wallet import bp
from portal.blueprints.wallet.forms import (
    ChangePinForm,
    CodeForm,
    EmptyForm,
    ForgotForm,
    LoginForm,
    PinForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    TotpEnrolForm,
    choices,
)
from portal.blueprints.wallet.session import (
    current_holder,
    holder_required,
    login_holder,
    logout_holder,
)
from portal.domain import DomainError, holder_reset, mfa
from portal.domain import wallet as wallet_domain
from portal.extensions import db, limiter
from portal.i18n import current_language
from portal.models import Country
from portal.tenancy import parse_host, site_url
from portal.web import redirect_to, show_refusal

LOGIN_LIMIT = "10 per minute;50 per hour"


@bp.before_app_request
def wallet_root():
    """wallet.<domain>/ → the carnets list (the shared URL map gives "/" to the customs site)."""
    if request.path == "/" and current_app.config.get("EATA_DOMAIN"):
        site = parse_host(request.host, current_app.config["EATA_DOMAIN"])
        if site is not None and site.kind == "wallet":
            return redirect_to(url_for("wallet.carnets"), 302)
    return None


def safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    if target.startswith("/my/") and "//" not in target and "\\" not in target:
        return target
    return default


def country_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Country.code, Country.name).order_by(Country.name)).all()
    return [(c, n) for c, n in rows]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    form = RegisterForm()
    form.country_code.choices = choices([("", _("Choose…"))] + country_choices())
    if form.validate_on_submit():
        if form.pin.data != form.pin_confirm.data:
            form.pin_confirm.errors = [_("The two PINs differ: type the same PIN twice.")]
        else:
            try:
                wallet_domain.register(
                    db.session,
                    {k: getattr(form, k).data for k in wallet_domain.HOLDER_FIELDS},
                    form.password.data,
                    form.pin.data,
                    accepted_terms=form.accept_terms.data,
                    confirm_url=site_url("wallet", path="/my/confirm/{token}"),
                    language=current_language(),
                )
            except DomainError as err:
                db.session.rollback()
                show_refusal(form, err)
            else:
                db.session.commit()
                return redirect_to(url_for("wallet.registered"))
    form.keep_secrets()
    return render_template(
        "wallet/register.html", form=form
    ), 422 if form.errors or form.form_errors else 200


@bp.get("/registered")
def registered():
    return render_template(
        "wallet/message.html",
        title=_("Check your email"),
        message=_(
            "We sent you a link to confirm your email address. Open it, "
            "then log in with your email and password."
        ),
    )


@bp.get("/confirm/<token>")
@limiter.limit("20 per hour")
def confirm(token: str):
    holder = wallet_domain.confirm_email(db.session, token)
    if holder is None:
        db.session.rollback()
        return render_template(
            "wallet/message.html",
            title=_("Link not valid"),
            message=_(
                "This link is not valid any more: it was used already or "
                "has expired. Log in to ask for a new one."
            ),
        ), 404
    db.session.commit()
    flash(_("Your email address is confirmed: you can log in."), "success")
    return redirect_to(url_for("wallet.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_holder() is not None:
        return redirect_to(url_for("wallet.carnets"), 302)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            result = wallet_domain.authenticate(
                db.session, form.email.data, form.password.data, ip=request.remote_addr
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
            if err.code == "email_unconfirmed":
                _resend_confirmation(form.email.data)
        else:
            hs = wallet_domain.open_holder_session(
                db.session,
                result.holder,
                mfa_pending=result.needs_totp,
                ip=request.remote_addr,
                user_agent=request.headers.get("User-Agent"),
            )
            db.session.commit()
            login_holder(hs)
            nxt = safe_next(url_for("wallet.carnets"))
            if result.needs_totp:
                return redirect_to(url_for("wallet.login_totp", next=nxt))
            return redirect_to(url_for("wallet.unlock", next=nxt))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("wallet/login.html", form=form), status


def _resend_confirmation(email: str) -> None:
    """After a login with the right password but an unconfirmed email: a new link, at most one
    every 10 minutes."""
    holder = wallet_domain.holder_by_email(db.session, email)
    if holder is not None and wallet_domain.may_resend_confirmation(db.session, holder):
        wallet_domain.send_confirmation(
            db.session, holder, confirm_url=site_url("wallet", path="/my/confirm/{token}")
        )
        db.session.commit()
        flash(_("We sent you a new confirmation link."), "info")


# --- password reset ------------------------------------------------------------------------------

RESET_SENT = _l(
    "If a wallet exists for this address, we emailed it a link to choose a new "
    "password. The link works once, for %(minutes)s minutes."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    """The same answer whether or not a wallet has this address (no account enumeration)."""
    form = ForgotForm()
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    if form.validate_on_submit():
        holder_reset.request_reset(
            db.session,
            form.email.data,
            ip=request.remote_addr,
            lifetime=dt.timedelta(minutes=minutes),
            reset_url=site_url("wallet", path="/my/password/reset/{token}"),
        )
        db.session.commit()
        return render_template(
            "wallet/message.html",
            title=_("Check your email"),
            message=RESET_SENT % {"minutes": minutes},
        )
    status = 422 if form.errors else 200
    return render_template("wallet/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour")
def reset_password(token: str):
    if holder_reset.valid_token(db.session, token) is None:
        return render_template(
            "wallet/message.html",
            title=_("Link not valid"),
            message=_(
                "This link is not valid any more: it was used already or "
                "has expired. Ask for a new one from the login page."
            ),
        ), 404
    form = ResetForm()
    if form.validate_on_submit():
        if form.password.data != form.password_confirm.data:
            form.password_confirm.errors = [_("The two passwords differ: type the same twice.")]
        else:
            try:
                holder = holder_reset.reset_password(
                    db.session, token, form.password.data, ip=request.remote_addr
                )
            except DomainError as err:
                db.session.rollback()
                show_refusal(form, err)
            else:
                if holder is None:
                    db.session.rollback()
                    abort(404)
                db.session.commit()
                logout_holder()
                flash(_("Your password is changed: log in with it."), "success")
                return redirect_to(url_for("wallet.login"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("wallet/reset.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login_totp():
    user = current_user
    if not getattr(user, "is_holder", False) or not user.is_authenticated:
        return redirect_to(url_for("wallet.login"), 302)
    if not user.hs.mfa_pending:
        return redirect_to(url_for("wallet.carnets"), 302)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            ok = wallet_domain.verify_totp(
                db.session, user.hs, form.code.data, ip=request.remote_addr
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            if ok:
                db.session.commit()
                return redirect_to(
                    url_for("wallet.unlock", next=safe_next(url_for("wallet.carnets")))
                )
            if user.hs.revoked_at is not None:
                logout_holder()
                flash(_("Too many wrong codes: log in again later."), "error")
                return redirect_to(url_for("wallet.login"))
            form.code.errors = [_("This code does not match: type the 6 digits your app shows.")]
    status = 422 if form.errors or form.form_errors else 200
    return render_template("wallet/login_code.html", form=form), status


@bp.route("/unlock", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@holder_required(unlocked=False)
def unlock():
    form = PinForm()
    if form.validate_on_submit():
        if wallet_domain.unlock(
            db.session, g.holder_session, form.pin.data, ip=request.remote_addr
        ):
            db.session.commit()
            return redirect_to(safe_next(url_for("wallet.carnets")))
        if g.holder_session.revoked_at is not None:
            logout_holder()
            flash(_("Too many wrong PINs: log in again with your password."), "error")
            return redirect_to(url_for("wallet.login"))
        form.pin.errors = [_("Wrong wallet PIN.")]
    status = 422 if form.errors else 200
    return render_template("wallet/unlock.html", form=form), status


@bp.post("/logout")
def logout():
    logout_holder()
    flash(_("You are logged out."), "info")
    return redirect_to(url_for("wallet.login"))


@bp.get("/lock")
@holder_required(unlocked=False)
def lock():
    g.holder_session.unlocked_at = None
    db.session.commit()
    return redirect_to(url_for("wallet.unlock"))


# --- account -----------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@holder_required
def account():
    holder = g.holder
    form = ProfileForm(obj=holder)
    if form.validate_on_submit():
        try:
            data = {
                k: getattr(form, k).data
                for k in ("title", "street", "postal_code", "city", "state", "phone")
            }
            data["country_code"] = request.form.get("country_code", holder.country_code)
            wallet_domain.update_profile(db.session, holder, data)
        except DomainError as err:
            db.session.rollback()
            show_refusal(form, err)
        else:
            db.session.commit()
            flash(_("Your details are saved."), "success")
            return redirect_to(url_for("wallet.account"))
    cred = wallet_domain.credential_of(db.session, holder)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "wallet/account.html",
        form=form,
        holder=holder,
        cred=cred,
        pin_form=ChangePinForm(),
        empty=EmptyForm(),
        country=db.session.get(Country, holder.country_code),
    ), status


@bp.post("/account/pin")
@limiter.limit("10 per hour")
@holder_required
def change_pin():
    form = ChangePinForm()
    if form.validate_on_submit():
        try:
            wallet_domain.change_pin(db.session, g.holder, form.current_pin.data, form.pin.data)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            db.session.commit()
            flash(_("Your wallet PIN is changed."), "success")
    return redirect_to(url_for("wallet.account"))


@bp.route("/account/totp", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@holder_required
def totp():
    form = TotpEnrolForm()
    if form.validate_on_submit():
        try:
            wallet_domain.enable_totp(db.session, g.holder, form.secret.data, form.code.data)
        except DomainError as err:
            db.session.rollback()
            show_refusal(form, err)
        else:
            db.session.commit()
            flash(_("Two-step login with your authenticator app is on."), "success")
            return redirect_to(url_for("wallet.account"))
    if not form.secret.data:
        form.secret.data = wallet_domain.new_totp()[0]

    uri = mfa.provisioning_uri(form.secret.data, g.holder.email, issuer="eATA Wallet")
    status = 422 if form.errors else 200
    return render_template(
        "wallet/totp.html", form=form, qr=mfa.qr_data_uri(uri), secret=form.secret.data
    ), status


@bp.post("/account/totp/off")
@holder_required
def totp_off():
    if not EmptyForm().validate_on_submit():
        abort(400)
    wallet_domain.disable_totp(db.session, g.holder)
    db.session.commit()
    flash(_("Two-step login is off."), "info")
    return redirect_to(url_for("wallet.account"))
