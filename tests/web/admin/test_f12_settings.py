"""Customs settings: MFA mandatory for all accounts (F-12) and invitation lifetime (F-11)."""

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, CustomsAdministration
from tests.web.admin.conftest import field_error


def _be(demo):
    demo.expire_all()
    return demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))


def test_f12_admin_sets_mfa_mandatory_and_invitation_days(login_as, demo):
    c = login_as("be", "admin")
    page = c.get("/admin/settings").get_data(as_text=True)
    assert "MFA mandatory for all accounts" in page and 'value="14"' in page
    r = c.post("/admin/settings", data={"mfa_mandatory": "y", "invitation_days": "5"})
    assert r.status_code == 303
    assert "Settings saved." in c.get(r.headers["Location"]).get_data(as_text=True)
    be = _be(demo)
    assert (be.mfa_mandatory, be.invitation_days) == (True, 5)
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "settings.update"))
    assert event.data == {
        "before": {"mfa_mandatory": False, "invitation_days": 14},
        "after": {"mfa_mandatory": True, "invitation_days": 5},
    }


@pytest.mark.parametrize(
    "days,message",
    [
        ("0", "The invitation link lifetime must be between 1 and 30 days."),
        ("31", "The invitation link lifetime must be between 1 and 30 days."),
        ("", "Enter a number of days."),
        ("two", "Not a valid integer value."),
    ],
)
def test_f11_r12_invitation_days_out_of_range_is_refused(login_as, demo, days, message):
    c = login_as("be", "admin")
    r = c.post("/admin/settings", data={"mfa_mandatory": "y", "invitation_days": days})
    assert r.status_code == 422
    assert message in field_error(r, "invitation_days")
    assert (_be(demo).mfa_mandatory, _be(demo).invitation_days) == (False, 14)


@pytest.mark.parametrize("role", ["regional_manager", "controller", "officer"])
def test_f13_settings_are_for_admins_only(login_as, demo, role):
    c = login_as("be", role)
    assert c.get("/admin/settings").status_code == 403
    assert (
        c.post("/admin/settings", data={"mfa_mandatory": "y", "invitation_days": "2"}).status_code
        == 403
    )
    assert _be(demo).invitation_days == 14
