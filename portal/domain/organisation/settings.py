"""An administration's settings (F-12): mandatory MFA, invitation link lifetime."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.domain import DomainError
from portal.domain.organisation.base import Changes, apply_changes
from portal.models import CustomsAdministration

INVITATION_DAYS_RANGE = (1, 30)


def update_settings(
    session: Session,
    administration: CustomsAdministration,
    *,
    mfa_mandatory: Any,
    invitation_days: Any,
) -> Changes:
    try:
        days = int(invitation_days)
    except (TypeError, ValueError):
        raise DomainError("Enter a number of days.", "invitation_days") from None
    low, high = INVITATION_DAYS_RANGE
    if not low <= days <= high:
        raise DomainError(
            f"The invitation link lifetime must be between {low} and {high} days.",
            "invitation_days",
        )
    changes = apply_changes(
        administration, {"mfa_mandatory": bool(mfa_mandatory), "invitation_days": days}
    )
    session.flush()
    return changes
