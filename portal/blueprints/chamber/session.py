"""The staff side of flask-login: "s:<session id>" in the cookie, a ChamberSession on the
server, loaded only on the chamber site; `staff_required` guards every page. The association
of the person logged in is the request's tenant: g.association."""

from __future__ import annotations

import functools

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from portal.domain import chambers
from portal.domain.api_clients import Actor
from portal.extensions import db
from portal.models import ChamberStaff
from portal.web import audit_request


def load_staff(sid: str) -> ChamberStaff | None:
    site = getattr(g, "site", None)
    if site is None or site.kind != "chamber":
        return None
    row = chambers.live_session(db.session, sid)
    if row is None:
        return None
    staff = row.staff
    staff.session_id = row.id
    g.chamber_session = row
    return staff


def pending_staff() -> ChamberStaff | None:
    """The staff member of this request after the password step (second factor or not)."""
    user = current_user._get_current_object()
    return user if isinstance(user, ChamberStaff) else None


def current_staff() -> ChamberStaff | None:
    """The staff member of this request once both factors were given, else None."""
    staff = pending_staff()
    row = g.get("chamber_session")
    return staff if staff is not None and row is not None and row.mfa_at is not None else None


def actor() -> Actor:
    return chambers.actor_of(current_user, request.remote_addr)


def staff_required(view=None, *, admin: bool = False):
    """Both factors given (else to the login or the second factor); `admin=True`: a staff
    admin's page — anyone else gets a 403, written to the audit trail. Sets g.association."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                if pending_staff() is not None:
                    return redirect(url_for("chamber.mfa"))
                return redirect(url_for("chamber.login"))
            g.association = staff.association
            db.session.info["association_id"] = staff.association_id  # tenancy's safety net
            if admin and staff.staff_role != "admin":
                audit_request(
                    "permission.denied",
                    nga_id=staff.association.nga_id,
                    object_type="permission",
                    object_id="chamber_admin",
                    data={"path": request.path},
                )
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
