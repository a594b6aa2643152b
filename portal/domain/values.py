"""Checks of single values that people type on every portal: a text (required, bounded, never
a spreadsheet formula) and an email address. Each takes the raw value and the form field it
belongs to and returns the clean value or raises DomainError naming that field (R-12), so the
same value is refused for the same reasons with the same words wherever it is typed. The
organisation's fields (portal/domain/organisation/fields.py) build on them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.domain import DomainError

# what a person may not type at the start of a text: "=" (a spreadsheet formula), and a tab or
# carriage return (hidden, and run as a formula start by spreadsheets); + - @ stay allowed
# (phone numbers, names) — exports neutralise them (portal/domain/cells.py)
REFUSED_START = ("=", "\t", "\r")
# a person's name on an account, of every portal
FULL_NAME_LABEL = _l("full name")
FULL_NAME_MAX = 200


def text(value: Any, field: str, label: str, *, required: bool = False, max_len: int) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise DomainError(_("Enter the %(label)s.", label=label), field)
    if len(value) > max_len:
        raise DomainError(
            _(
                "The %(label)s can have at most %(max_len)s characters.",
                label=label,
                max_len=max_len,
            ),
            field,
        )
    refuse_formula(value, field, label)
    return value


def refuse_formula(value: Any, field: str, label: str) -> None:
    """Refuse text starting with "=", a tab or a carriage return (a spreadsheet would run it)."""
    if isinstance(value, str) and value[:1] in REFUSED_START:
        raise DomainError(
            _(
                'The %(label)s cannot start with "=", a tab or a line break: type the value itself.',
                label=label,
            ),
            field,
        )


def email_address(value: Any, field: str = "email", *, required: bool = True) -> str:
    """The one check of an email address given to an account or a contact (customs accounts
    and offices, their bulk rows, chamber staff, operators, a customs administration's first
    admin, wallet holders): the clean lower-case address, or DomainError naming `field`.
    Nothing is created, and no mail sent, for an address this refuses."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        if required:
            raise DomainError(_("Enter an email address."), field)
        return ""
    if len(value) > 254:
        raise DomainError(_("The email address can have at most 254 characters."), field)
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(_("Enter a valid email address, like name@example.com."), field) from None
    return info.normalized.lower()


PHONE_LABEL = _l("phone number")


def phone(value: Any, field: str = "phone") -> str:
    """A phone number shown as a tel: link (an office's, an NGA's, a chamber's): optional;
    digits, spaces and + ( ) - . / only, at most 40 characters."""
    number = text(value, field, PHONE_LABEL, max_len=40)
    if number and not re.fullmatch(r"[0-9+()./ -]{3,40}", number):
        raise DomainError(_("Enter a phone number with digits, spaces and + ( ) - only."), field)
    return number


def website(value: Any, field: str = "website", *, max_len: int = 254) -> str:
    """A web address shown as a link (an NGA's site): http or https with a host; a bare
    host ("www.x.org") gets https://. Optional: empty stays empty."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in ("http", "https")
        or "." not in host
        or any(c.isspace() for c in value)
        or len(value) > max_len
    ):
        raise DomainError(_("Enter a web address, like https://www.example.org."), field)
    return value


def full_name(value: Any, field: str = "full_name") -> str:
    """The name of the person an account is for (required)."""
    return text(value, field, FULL_NAME_LABEL, required=True, max_len=FULL_NAME_MAX)
