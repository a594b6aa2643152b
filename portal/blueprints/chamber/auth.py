"""Staff login: password, then TOTP — enrolled at the first login, asked at every login; the
invitation link that sets the password."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.blueprints.chamber.app import bp
from portal.blueprints.chamber.forms import ButtonForm, CodeForm, LoginForm, PasswordForm
from portal.blueprints.chamber.session import pending_staff
from portal.domain import DomainError, chambers, mfa
from portal.extensions import db, limiter
from portal.web import audit_request, redirect_to, render_page

TOTP_KEY = "chamber_totp_secret"


def _nga_of(staff) -> int | None:
    return staff.association.nga_id if staff is not None else None


@bp.get("/")
def index():
    return redirect(url_for("chamber.carnets"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        outcome, staff = chambers.check_login(db.session, form.email.data, form.password.data)
        if outcome == "ok" and staff is not None:
            row = chambers.open_session(db.session, staff, request.remote_addr)
            staff.session_id = row.id
            session.clear()
            login_user(staff, fresh=True)
            audit_request(
                "chamber_staff.password_ok",
                actor_type="chamber_staff",
                actor_id=staff.id,
                actor_label=staff.email,
                nga_id=_nga_of(staff),
            )
            db.session.commit()
            return redirect(url_for("chamber.mfa"))
        audit_request(
            "chamber_staff.login_failed",
            actor_type="chamber_staff",
            actor_id=staff.id if staff else None,
            actor_label=(form.email.data or "")[:254],
            nga_id=_nga_of(staff),
        )
        db.session.commit()
        form.form_errors.append(
            _("This account is locked for a while after too many failed attempts.")
            if outcome == "locked"
            else _("The email or the password is not correct.")
        )
    return render_page("chamber/login.html", form=form, status=422 if form.errors else 200)


@limiter.limit("10/minute", methods=["POST"])
def mfa_step():
    staff = pending_staff()
    if staff is None:
        return redirect(url_for("chamber.login"))
    form = CodeForm()
    enrolling = not staff.totp_secret_enc
    secret = None
    if enrolling:
        secret = session.get(TOTP_KEY) or mfa.new_totp_secret()
        session[TOTP_KEY] = secret
    if form.validate_on_submit():
        ok = False
        if enrolling and secret:
            try:
                chambers.enrol_totp(staff, secret, form.code.data)
                ok = True
            except DomainError as exc:
                form.code.errors = [exc.message]
        else:
            outcome = chambers.IDENTITY.check_code(db.session, staff, form.code.data)
            if outcome == "locked":
                # too many wrong codes (or passwords): this session ends, the lock holds
                chambers.IDENTITY.revoke_session(db.session, g.chamber_session.id)
                audit_request("chamber_staff.login_locked", nga_id=_nga_of(staff))
                db.session.commit()
                logout_user()
                session.clear()
                flash(
                    _("This account is locked for a while after too many failed attempts."),
                    "error",
                )
                return redirect(url_for("chamber.login"))
            ok = outcome == "ok"
            if not ok:
                form.code.errors = [_("This code is not correct.")]
        if ok:
            session.pop(TOTP_KEY, None)
            chambers.passed_mfa(g.chamber_session, staff)
            audit_request(
                "chamber_staff.login", nga_id=_nga_of(staff), data={"enrolled_totp": enrolling}
            )
            db.session.commit()
            return redirect(url_for("chamber.carnets"))
        audit_request("chamber_staff.mfa_failed", nga_id=_nga_of(staff))
        db.session.commit()
    qr = uri = None
    if enrolling and secret:
        uri = mfa.provisioning_uri(secret, staff.email, issuer="eATA Chamber")
        qr = mfa.qr_data_uri(uri)
    return render_page(
        "chamber/mfa.html",
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
    staff = pending_staff()
    if form.validate_on_submit() and staff is not None:
        chambers.revoke_session(db.session, current_user.session_id)
        audit_request("chamber_staff.logout", nga_id=_nga_of(staff))
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("chamber.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def invitation(token: str):
    """The invitation link: set the password (then log in, and enrol TOTP)."""
    staff = chambers.invitation_staff(db.session, token[:100])
    if staff is None:
        return render_page(
            "chamber/invitation.html",
            form=None,
            staff=None,
            error=_("This link has expired or was already used. Ask your admin for a new one."),
            status=404,
        )
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            chambers.accept_invitation(db.session, token[:100], form.password.data)
            audit_request(
                "chamber_staff.password_set",
                actor_type="chamber_staff",
                actor_id=staff.id,
                actor_label=staff.email,
                nga_id=_nga_of(staff),
            )
            db.session.commit()
            flash(_("Your password is set. Log in now."), "success")
            return redirect_to(url_for("chamber.login"))
        except DomainError as exc:
            db.session.rollback()
            form.password.errors = [*form.password.errors, exc.message]
    return render_page(
        "chamber/invitation.html",
        form=form,
        staff=staff,
        error=None,
        status=422 if form.errors else 200,
    )
