"""An administration's settings (F-12): mandatory MFA, invitation link lifetime; its default
language (F-83)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
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
    language: Any = None,
    languages: tuple[str, ...] = (),
) -> Changes:
    """`language`, when given, must be one of `languages` (the shipped ones)."""
    try:
        days = int(invitation_days)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a number of days."), "invitation_days") from None
    low, high = INVITATION_DAYS_RANGE
    if not low <= days <= high:
        raise DomainError(
            _(
                "The invitation link lifetime must be between %(low)s and %(high)s days.",
                low=low,
                high=high,
            ),
            "invitation_days",
        )
    values: dict[str, Any] = {"mfa_mandatory": bool(mfa_mandatory), "invitation_days": days}
    if language is not None:
        if language not in languages:
            raise DomainError(_("Choose a language from the list."), "language")
        values["language"] = language
    changes = apply_changes(administration, values)
    session.flush()
    return changes
