"""The sign-in of the small portals — the operator console and the chamber portal: the password,
then a TOTP code (enrolled at the first login, asked at every login), and the logout. One set
of views, bound per portal to its PortalIdentity (portal/domain/portal_identity.py): login,
lockout, sessions and codes behave the same on both, only the words and the audit's actor
differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from portal.domain import DomainError, mfa
from portal.domain.portal_identity import PortalIdentity
from portal.extensions import db, limiter
from portal.web import audit_request, render_page


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"), validators=[DataRequired()])


class ButtonForm(FlaskForm):
    pass


def _nothing(_person: Any) -> dict:
    return {}


@dataclass(frozen=True)
class PortalLogin:
    """`actor`: the audit trail's actor type and the prefix of its actions ("operator" →
    operator.login, operator.login_failed …); `session_attr`: the `g` attribute the portal's
    user loader sets to the session row; `layout`: the portal's page layout; `title`,
    `enrol_intro`, `hint`: the words of its pages (lazy strings); `landing`: the endpoint
    after both factors; `scope`: audit fields of a person (e.g. the association's NGA)."""

    bp: Blueprint
    identity: PortalIdentity
    actor: str
    session_attr: str
    layout: str
    title: Any
    enrol_intro: Any
    issuer: str
    landing: str
    hint: Any = None
    scope: Callable[[Any], dict] = field(default=_nothing)

    def pending(self) -> Any:
        """The person of this request after the password step (second factor or not)."""
        user = current_user._get_current_object()
        return user if isinstance(user, self.identity.person) else None

    @property
    def totp_key(self) -> str:
        return f"{self.bp.name}_totp_secret"

    def register(self) -> None:
        """The portal's /login, /mfa and /logout (endpoints <bp>.login, <bp>.mfa, <bp>.logout;
        the limiter counts per endpoint, so each portal has its own buckets), each view a
        function named after its portal (tracebacks and the limiter's keys say which)."""
        for rule, name, view, methods in (
            ("/login", "login", self.login, ["GET", "POST"]),
            ("/mfa", "mfa", self.mfa, ["GET", "POST"]),
            ("/logout", "logout", self.logout, ["POST"]),
        ):

            def bound(view=view):
                return view()

            bound.__name__ = bound.__qualname__ = f"{self.bp.name}_{name}"
            bound.__module__ = __name__
            if name != "logout":
                bound = limiter.limit("10/minute", methods=["POST"])(bound)
            self.bp.add_url_rule(rule, endpoint=name, view_func=bound, methods=methods)

    def _page(self, template: str, form, **context):
        return render_page(
            f"portal_login/{template}",
            form=form,
            login=self,
            status=422 if form.errors else 200,
            **context,
        )

    def _locked_message(self) -> str:
        return _("This account is locked for a while after too many failed attempts.")

    def login(self):
        form = LoginForm()
        if form.validate_on_submit():
            outcome, person = self.identity.check_login(
                db.session, form.email.data, form.password.data
            )
            if outcome == "ok" and person is not None:
                row = self.identity.open_session(db.session, person, request.remote_addr)
                person.session_id = row.id
                session.clear()
                login_user(person, fresh=True)
                audit_request(
                    f"{self.actor}.password_ok",
                    actor_type=self.actor,
                    actor_id=person.id,
                    actor_label=person.email,
                    **self.scope(person),
                )
                db.session.commit()
                return redirect(url_for(f"{self.bp.name}.mfa"))
            audit_request(
                f"{self.actor}.login_failed",
                actor_type=self.actor,
                actor_id=person.id if person else None,
                actor_label=(form.email.data or "")[:254],
                **(self.scope(person) if person else {}),
            )
            db.session.commit()
            form.form_errors.append(
                self._locked_message()
                if outcome == "locked"
                else _("The email or the password is not correct.")
            )
        return self._page("login.html", form)

    def mfa(self):
        person = self.pending()
        if person is None:
            return redirect(url_for(f"{self.bp.name}.login"))
        form = CodeForm()
        enrolling = not person.totp_secret_enc
        secret = None
        if enrolling:
            secret = session.get(self.totp_key) or mfa.new_totp_secret()
            session[self.totp_key] = secret
        if form.validate_on_submit():
            ok = False
            if enrolling and secret:
                try:
                    self.identity.enrol_totp(person, secret, form.code.data)
                    ok = True
                except DomainError as exc:
                    form.code.errors = [exc.message]
            else:
                outcome = self.identity.check_code(db.session, person, form.code.data)
                if outcome == "locked":
                    # too many wrong codes (or passwords): this session ends, the lock holds
                    self.identity.revoke_session(db.session, g.get(self.session_attr).id)
                    audit_request(f"{self.actor}.login_locked", **self.scope(person))
                    db.session.commit()
                    logout_user()
                    session.clear()
                    flash(self._locked_message(), "error")
                    return redirect(url_for(f"{self.bp.name}.login"))
                ok = outcome == "ok"
                if not ok:
                    form.code.errors = [_("This code is not correct.")]
            if ok:
                session.pop(self.totp_key, None)
                self.identity.passed_mfa(g.get(self.session_attr), person)
                audit_request(
                    f"{self.actor}.login",
                    data={"enrolled_totp": enrolling},
                    **self.scope(person),
                )
                db.session.commit()
                return redirect(url_for(self.landing))
            audit_request(f"{self.actor}.mfa_failed", **self.scope(person))
            db.session.commit()
        qr = None
        if enrolling and secret:
            qr = mfa.qr_data_uri(mfa.provisioning_uri(secret, person.email, issuer=self.issuer))
        return self._page("mfa.html", form, enrolling=enrolling, qr=qr, secret=secret)

    def logout(self):
        form = ButtonForm()
        person = self.pending()
        if form.validate_on_submit() and person is not None:
            self.identity.revoke_session(db.session, current_user.session_id)
            audit_request(f"{self.actor}.logout", **self.scope(person))
            db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
        return redirect(url_for(f"{self.bp.name}.login"))
