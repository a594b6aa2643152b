"""MFA enrolment (F-12): TOTP or email codes, at login when MFA is required and from the
account menu; the recovery codes are shown once."""

from __future__ import annotations

from flask import (
    flash,
    g,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal.blueprints.auth.common import audit_account, render
from portal.blueprints.auth.emails import (
    send_mfa_code,
)
from portal.blueprints.auth.forms import (
    CodeForm,
    EmailMfaForm,
)
from portal.blueprints.auth.login_flow import finish_login, next_step, pending, update_pending
from portal.domain import DomainError, mfa
from portal.extensions import db
from portal.models import Account
from portal.web import redirect_to, render_page, show_refusal

# --- MFA enrolment (at login when MFA is required, and from the account menu) --------------


def totp_secret(account: Account) -> str:
    pending = session.get("totp_enrol")
    if not pending or pending.get("aid") != account.id:
        pending = {"aid": account.id, "secret": mfa.new_totp_secret()}
        session["totp_enrol"] = pending
    return pending["secret"]


def enrol_totp(account: Account, action: str, in_login: bool):
    secret = totp_secret(account)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable_totp(db.session, account, secret, form.code.data)
        except DomainError as exc:
            show_refusal(form, exc)
        else:
            session.pop("totp_enrol", None)
            audit_account("mfa.enabled", account, method="totp")
            return enrolled(account, codes, in_login)
    uri = mfa.provisioning_uri(secret, account.email, f"eATA {g.tenant.name}")
    return render(
        "auth/enrol_totp.html",
        form,
        account=account,
        secret=secret,
        qr=mfa.qr_data_uri(uri),
        action=action,
        in_login=in_login,
    )


def enrol_email(account: Account, action: str, in_login: bool):
    address_form = EmailMfaForm(prefix="addr")
    code_form = CodeForm(prefix="otp")
    sent_to = (
        session.get("email_enrol", {}).get("address")
        if session.get("email_enrol", {}).get("aid") == account.id
        else None
    )
    if request.method == "POST" and "addr-address" in request.form:
        if address_form.validate():
            try:
                address = mfa.check_alternative_email(account, address_form.address.data)
                code = mfa.issue_email_otp(db.session, account, address)
            except DomainError as exc:
                db.session.rollback()
                show_refusal(address_form, exc)
            else:
                send_mfa_code(account, address, code, mfa.EMAIL_OTP_MINUTES)
                session["email_enrol"] = {"aid": account.id, "address": address}
                db.session.commit()
                flash(_("A code was sent to %(address)s.", address=address), "success")
                return redirect_to(action)
    elif request.method == "POST" and "otp-code" in request.form and sent_to:
        if code_form.validate():
            try:
                codes = mfa.enable_email_mfa(db.session, account, code_form.code.data)
            except DomainError as exc:
                db.session.commit()  # the attempt is counted on the code
                show_refusal(code_form, exc)
            else:
                session.pop("email_enrol", None)
                audit_account("mfa.enabled", account, method="email")
                return enrolled(account, codes, in_login)
    status = 422 if request.method == "POST" else 200
    return render_page(
        "auth/enrol_email.html",
        address_form=address_form,
        code_form=code_form,
        sent_to=sent_to,
        action=action,
        in_login=in_login,
        status=status,
    )


def enrolled(account: Account, codes: list[str], in_login: bool):
    """MFA is on: show the recovery codes once (rendered, never stored in clear)."""
    if in_login:
        found = pending()
        data = found[0] if found else None
        if data is None:
            db.session.rollback()
            flash(_("Your login took too long. Please log in again."), "warning")
            return redirect_to(url_for("auth.login"))
        data = dict(data, mfa_ok=True)
        update_pending(mfa_ok=True)
        if next_step(data, account) is None:
            finish_login(data, account)
        else:
            db.session.commit()
    else:
        db.session.commit()
    return render_page("auth/recovery_codes.html", codes=codes, in_login=in_login)
