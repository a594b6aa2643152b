"""Accounts (F-13, F-14): list with filters, create, edit, the account actions, delete.

Open to whoever may manage at least one role; the reach of each user (an admin: every account;
a regional manager: officers and controllers of their region) is the domain's
`organisation.account_reach`, given to `get_for_tenant_or_404`. The export is a job
(portal/blueprints/admin/exports.py).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.blueprints.admin import bp
from portal.blueprints.admin.common import (
    ACTIVE_CHOICES,
    active_arg,
    audit_change,
    confirm_delete,
    filters_of,
    form_data,
    form_status,
    office_choices,
    page_url,
    region_choices,
    save_form,
    show_domain_error,
)
from portal.blueprints.admin.forms import AccountCreateForm, AccountForm, EmptyForm
from portal.blueprints.auth.emails import (
    send_email_change_link,
    send_email_change_requested,
    send_invitation,
    send_password_reset,
)
from portal.domain import DomainError
from portal.domain import organisation as org
from portal.domain.identity import EMAIL_CHANGE_MINUTES
from portal.domain.paging import paginate
from portal.domain.permissions import (
    ACCOUNT_ROLE_PERMISSION,
    ROLE_NAMES,
    creatable_roles,
    manageable_roles,
)
from portal.extensions import db, limiter
from portal.models import Account
from portal.tenancy import get_for_tenant_or_404
from portal.web import (
    int_arg,
    page_arg,
    permission_required,
    redirect_to,
    render_page,
)


def any_account_permission(view):
    """Accounts screens: open to whoever may manage at least one role (F-13); the role of each
    target account is then checked by the domain."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        roles = manageable_roles(current_user.role) if current_user.is_authenticated else []
        permission = ACCOUNT_ROLE_PERMISSION[roles[0]] if roles else "create_officer_account"
        return permission_required(permission)(view)(*args, **kwargs)

    return wrapped


def account_of(account_id: int) -> Account:
    return get_for_tenant_or_404(Account, account_id, *org.account_reach(current_user))


def _role_choices(roles: list[str]):
    return [(r, ROLE_NAMES[r]) for r in roles]


def _prepare_account_form(form: AccountForm, account: Account | None) -> None:
    roles = (
        creatable_roles(current_user.role)
        if account is None
        else manageable_roles(current_user.role)
    )
    if account is not None and account.role not in roles:
        roles = [account.role]  # one's own account: the role is shown, never changed here
    form.role.choices = _role_choices(roles)
    form.region_id.choices = region_choices(blank=_("— None (admins only) —"))
    form.office_id.choices = office_choices(form.region_id.data)


def list_filters() -> tuple[dict, dict[str, str]]:
    """The list's filters from the query string: (arguments of account_list, their text)."""
    args = {
        "q": request.args.get("q", "").strip(),
        "role": request.args.get("role", ""),
        "region_id": int_arg("region_id"),
        "office_id": int_arg("office_id"),
        "active": active_arg(),
    }
    filters = filters_of(
        q=args["q"],
        role=args["role"],
        region_id=args["region_id"],
        office_id=args["office_id"],
        active=request.args.get("active", ""),
    )
    return args, filters


@bp.get("/accounts")
@any_account_permission
def accounts():
    args, filters = list_filters()
    page = paginate(db.session, org.account_list(current_user, **args), page_arg())
    query = "?" + urlencode(filters) if filters else ""
    return render_page(
        "admin/accounts.html",
        block="results",
        page=page,
        filters=filters,
        active_choices=ACTIVE_CHOICES,
        role_choices=[("", _("All roles"))] + _role_choices(manageable_roles(current_user.role)),
        region_choices=region_choices(blank=_("All regions")),
        office_choices=office_choices(blank=_("All offices")),
        role_labels=ROLE_NAMES,
        page_url=page_url("admin.accounts", filters),
        export_url=url_for("admin.accounts_export") + query,
    )


@bp.get("/accounts/office-options")
@any_account_permission
def office_options():
    """The <option>s of the office select for the chosen region (htmx, account form)."""
    return render_page(
        "admin/_office_options.html", choices=office_choices(int_arg("region_id")), selected=None
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@any_account_permission
def account_new():
    form = AccountCreateForm()
    if request.method == "GET" and current_user.role != "admin":
        form.region_id.data = current_user.region_id
    _prepare_account_form(form, None)

    def save() -> str:
        account = org.create_account(db.session, current_user, form_data(form))
        send_invitation(account, days=g.tenant.invitation_days)
        audit_change(
            "account.create",
            account,
            after={
                key: getattr(account, key)
                for key in ("email", "full_name", "role", "region_id", "office_id", "active")
            },
        )
        return _("Account created: an invitation was sent to %(email)s.", email=account.email)

    return save_form(form, save, done=url_for("admin.accounts")) or render_page(
        "admin/account_form.html", form=form, account=None, status=form_status(form)
    )


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@any_account_permission
def account_edit(account_id: int):
    account = account_of(account_id)
    form = AccountForm(obj=account)
    _prepare_account_form(form, account)
    if form.validate_on_submit():
        try:
            update = org.update_account(db.session, current_user, account, form_data(form))
        except DomainError as e:
            db.session.rollback()
            account = account_of(account_id)
            show_domain_error(form, e)
        else:
            if update.changes:
                audit_change("account.update", account, update.changes)
            change = update.email_change
            if change is not None:
                audit_change(
                    "account.email_change_requested", account, old=change.old, new=change.new
                )
            db.session.commit()
            if change is not None:
                send_email_change_link(account, change.new, change.token, EMAIL_CHANGE_MINUTES)
                send_email_change_requested(account, change.new)
                flash(
                    _(
                        "Account of %(name)s saved. Its login email becomes %(email)s when "
                        "the link we sent there is opened (within %(minutes)s minutes).",
                        name=account.full_name,
                        email=change.new,
                        minutes=EMAIL_CHANGE_MINUTES,
                    ),
                    "success",
                )
            else:
                flash(_("Account of %(name)s saved.", name=account.full_name), "success")
            return redirect_to(url_for("admin.accounts"))
    return render_page(
        "admin/account_form.html",
        form=form,
        account=account,
        action_form=EmptyForm(),
        role_labels=ROLE_NAMES,
        status=form_status(form),
    )


def _account_action(account_id: int, action: str, run, success):
    """A button-only POST on an account: run, audit, commit, back to the account with a flash."""
    account = account_of(account_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changes = run(account)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        audit_change(action, account, changes)
        db.session.commit()
        flash(str(success) % {"name": account.full_name, "email": account.email}, "success")
    return redirect_to(url_for("admin.account_edit", account_id=account_id))


@bp.post("/accounts/<int:account_id>/disable")
@any_account_permission
def account_disable(account_id: int):
    return _account_action(
        account_id,
        "account.disable",
        lambda a: org.set_account_active(db.session, current_user, a, False),
        _l("Account of %(name)s disabled: its sessions are closed."),
    )


@bp.post("/accounts/<int:account_id>/enable")
@any_account_permission
def account_enable(account_id: int):
    return _account_action(
        account_id,
        "account.enable",
        lambda a: org.set_account_active(db.session, current_user, a, True),
        _l("Account of %(name)s enabled."),
    )


@bp.post("/accounts/<int:account_id>/force-password-change")
@any_account_permission
def account_force_password_change(account_id: int):
    return _account_action(
        account_id,
        "account.force_password_change",
        lambda a: org.force_password_change(db.session, current_user, a),
        _l("%(name)s must change their password at next login."),
    )


def _reset_target() -> str:
    return f"admin-reset:{g.tenant.id}:{request.view_args.get('account_id')}"


@bp.post("/accounts/<int:account_id>/reset-password")
@any_account_permission
@limiter.limit("5 per hour", key_func=_reset_target)
def account_reset_password(account_id: int):
    def run(account):
        org.check_can_reset(db.session, current_user, account)
        send_password_reset(account)
        return None

    return _account_action(
        account_id,
        "account.password_reset_requested",
        run,
        _l("A password reset link was sent to %(email)s."),
    )


@bp.route("/accounts/<int:account_id>/delete", methods=["GET", "POST"])
@any_account_permission
def account_delete(account_id: int):
    account = account_of(account_id)
    return confirm_delete(
        account,
        kind="account",
        name=f"{account.full_name} ({account.email})",
        delete=lambda: org.delete_account(db.session, current_user, account),
        back=url_for("admin.account_edit", account_id=account.id),
        done=url_for("admin.accounts"),
    )
