"""Helpers shared by the page blueprints: the permission decorator and audit from a request."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, request
from flask_login import current_user

from portal.domain import audit
from portal.domain.permissions import has_permission
from portal.extensions import db

# the largest id the databases hold (SQLite INTEGER, PostgreSQL bigint): a larger number typed
# in a URL, filter or form is an id that exists nowhere, not a query to run
MAX_ID = 2**63 - 1


def bounded_int(value) -> int:
    """int(value) for ids from a request; beyond MAX_ID → 0 (never exists)."""
    number = int(value)
    return number if -MAX_ID <= number <= MAX_ID else 0


def audit_request(action: str, **kwargs) -> None:
    """Record an audit event with the request's tenant, actor and client address."""
    actor_type, actor_id, label = "anonymous", None, ""
    if current_user and current_user.is_authenticated:
        actor_type = getattr(current_user, "actor_type", "account")
        actor_id = current_user.id
        label = getattr(current_user, "email", "")
    kwargs.setdefault("actor_type", actor_type)
    kwargs.setdefault("actor_id", actor_id)
    kwargs.setdefault("actor_label", label)
    tenant = getattr(g, "tenant", None)
    kwargs.setdefault("customs_id", tenant.id if tenant is not None else None)
    kwargs.setdefault("ip", request.remote_addr)
    audit.record(db.session, action, **kwargs)


def permission_required(permission: str):
    """The one decorator that enforces the role matrix on customs pages (F-13).

    Not logged in → the login manager's redirect; logged in without the permission → 403,
    written to the audit log.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from portal.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user.role, permission):
                audit_request(
                    "permission.denied", object_type="permission", object_id=permission,
                    data={"path": request.path},
                )
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
