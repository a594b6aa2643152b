"""F-12: an account's own login email changes only after re-authentication and a link opened at
the new address ("re-authentication before changing MFA or email"), also from the account edit
screen of an admin or regional manager editing themselves; a borrowed session cannot move the
account to another address in one post."""

from __future__ import annotations

from portal.models import Account
from tests.web.admin.conftest import field_error


def _form(me: Account, **overrides) -> dict:
    data = {
        "full_name": me.full_name,
        "email": me.email,
        "role": me.role,
        "region_id": str(me.region_id or ""),
        "office_id": str(me.office_id or ""),
        "active": "y",
    }
    data.update(overrides)
    return data


def test_f12_admin_cannot_change_own_email_from_the_account_screen(login_as, find):
    c = login_as("be", "admin")
    me = find(Account, "be", "admin@customs-be.demo")
    r = c.post(f"/admin/accounts/{me.id}", data=_form(me, email="someone@evil.example"))
    assert r.status_code == 422
    assert "account menu" in field_error(r, "email")
    assert find(Account, "be", "admin@customs-be.demo") is not None


def test_f12_regional_manager_cannot_change_own_email_from_the_account_screen(login_as, find):
    c = login_as("be", "regional_manager")
    me = find(Account, "be", c.account.email)
    r = c.post(f"/admin/accounts/{me.id}", data=_form(me, email="someone@evil.example"))
    assert r.status_code == 422
    assert find(Account, "be", c.account.email) is not None


def test_f12_own_account_screen_still_saves_other_fields(login_as, find):
    c = login_as("be", "admin")
    me = find(Account, "be", "admin@customs-be.demo")
    r = c.post(f"/admin/accounts/{me.id}", data=_form(me, full_name="Admin Renamed"))
    assert r.status_code == 303
    assert find(Account, "be", "admin@customs-be.demo").full_name == "Admin Renamed"
