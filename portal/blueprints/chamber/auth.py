"""Staff login: password, then TOTP — the small portals' sign-in (portal/portal_login.py) bound
to the staff's identity; the invitation link that sets the password."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.blueprints.chamber.app import bp
from portal.blueprints.chamber.forms import PasswordForm
from portal.domain import DomainError, chambers
from portal.extensions import db, limiter
from portal.portal_login import PortalLogin
from portal.web import audit_request, redirect_to, render_page


def _nga_of(staff) -> int | None:
    return staff.association.nga_id if staff is not None else None


@bp.get("/")
def index():
    return redirect(url_for("chamber.carnets"))


LOGIN = PortalLogin(
    bp=bp,
    identity=chambers.IDENTITY,
    actor="chamber_staff",
    session_attr="chamber_session",
    layout="chamber/layout.html",
    title=_l("Issuing association staff"),
    enrol_intro=_l(
        "Issuing associations' staff always log in with an authenticator app. Scan this code "
        "with the app, then type the code it shows."
    ),
    hint=_l(
        "Forgot your password or lost your authenticator app? Ask your association's staff admin."
    ),
    issuer="eATA Chamber",
    landing="chamber.carnets",
    scope=lambda staff: {"nga_id": _nga_of(staff)},
)
LOGIN.register()


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
