"""Operator login: password, then TOTP — enrolled at the first login, asked at every login."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.blueprints.ops.app import bp
from portal.blueprints.ops.forms import ButtonForm, CodeForm, LoginForm
from portal.domain import DomainError, mfa
from portal.domain.info import operators
from portal.extensions import db, limiter
from portal.models import Operator
from portal.web import audit_request, render_page

TOTP_KEY = "ops_totp_secret"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        outcome, operator = operators.check_login(db.session, form.email.data, form.password.data)
        if outcome == "ok" and operator is not None:
            row = operators.open_session(db.session, operator, request.remote_addr)
            operator.session_id = row.id
            session.clear()
            login_user(operator, fresh=True)
            audit_request("operator.password_ok", actor_type="operator", actor_id=operator.id)
            db.session.commit()
            return redirect(url_for("ops.mfa"))
        audit_request(
            "operator.login_failed",
            actor_type="operator",
            actor_id=operator.id if operator else None,
            actor_label=(form.email.data or "")[:254],
        )
        db.session.commit()
        form.form_errors.append(
            _("This operator account is locked for a while after too many failed attempts.")
            if outcome == "locked"
            else _("The email or the password is not correct.")
        )
    return render_page("ops/login.html", form=form, status=422 if form.errors else 200)


def _pending() -> Operator | None:
    user = current_user._get_current_object()
    return user if isinstance(user, Operator) else None


@limiter.limit("10/minute", methods=["POST"])
def mfa_step():
    operator = _pending()
    if operator is None:
        return redirect(url_for("ops.login"))
    form = CodeForm()
    enrolling = not operator.totp_secret_enc
    secret = None
    if enrolling:
        secret = session.get(TOTP_KEY) or mfa.new_totp_secret()
        session[TOTP_KEY] = secret
    if form.validate_on_submit():
        ok = False
        if enrolling and secret:
            try:
                operators.enrol_totp(operator, secret, form.code.data)
                ok = True
            except DomainError as exc:
                form.code.errors = [exc.message]
        else:
            outcome = operators.IDENTITY.check_code(db.session, operator, form.code.data)
            if outcome == "locked":
                # too many wrong codes (or passwords): this session ends, the lock holds
                operators.IDENTITY.revoke_session(db.session, g.operator_session.id)
                audit_request("operator.login_locked")
                db.session.commit()
                logout_user()
                session.clear()
                flash(
                    _("This account is locked for a while after too many failed attempts."),
                    "error",
                )
                return redirect(url_for("ops.login"))
            ok = outcome == "ok"
            if not ok:
                form.code.errors = [_("This code is not correct.")]
        if ok:
            session.pop(TOTP_KEY, None)
            operators.passed_mfa(db.session, g.operator_session, operator)
            audit_request("operator.login", data={"enrolled_totp": enrolling})
            db.session.commit()
            return redirect(url_for("ops.index"))
        audit_request("operator.mfa_failed")
        db.session.commit()
    qr = uri = None
    if enrolling and secret:
        uri = mfa.provisioning_uri(secret, operator.email, issuer="eATA Operator")
        qr = mfa.qr_data_uri(uri)
    return render_page(
        "ops/mfa.html",
        form=form,
        enrolling=enrolling,
        qr=qr,
        secret=secret,
        status=422 if form.errors else 200,
    )


bp.add_url_rule("/mfa", endpoint="mfa", view_func=mfa_step, methods=["GET", "POST"])


@bp.post("/logout")
def logout():
    form = ButtonForm()
    if form.validate_on_submit() and _pending() is not None:
        operators.revoke_session(db.session, current_user.session_id)
        audit_request("operator.logout")
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("ops.login"))
