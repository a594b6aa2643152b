"""Holder accounts (F-17): registration, email confirmation and the profile."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import DomainError, audit, outbox
from portal.domain.codes import keyed_hash, new_token
from portal.domain.passwords import hash_secret, normalize_password, password_problem
from portal.domain.values import email_address
from portal.i18n import language_of, with_locale
from portal.models import (
    Country,
    Holder,
    HolderCredential,
    HolderToken,
)

CONFIRM_LIFETIME = dt.timedelta(days=2)

HOLDER_FIELDS = (
    "kind",
    "company_name",
    "title",
    "given_names",
    "surname",
    "email",
    "street",
    "postal_code",
    "city",
    "state",
    "country_code",
    "phone",
)


# the refusal when a required field of the registration is empty
REQUIRED_FIELDS = {
    "given_names": _l("Give your given names as on your passport."),
    "surname": _l("Give your surname as on your passport."),
    "street": _l("Give your street."),
    "postal_code": _l("Give your postal code."),
    "city": _l("Give your city."),
    "phone": _l("Give your cell phone number."),
}

# --- registration -------------------------------------------------------------------------------


def check_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not pin.isdigit() or not pin.isascii() or not 6 <= len(pin) <= 12:
        raise DomainError(_("The wallet PIN is 6 to 12 digits."), field="pin")
    if len(set(pin)) == 1 or pin in "01234567890123" or pin in "98765432109876":
        raise DomainError(
            _("This PIN is too easy to guess: avoid repeated or consecutive digits."), field="pin"
        )
    return pin


def register(
    session: Session,
    data: dict,
    password: str,
    pin: str,
    *,
    confirm_url: str,
    accepted_terms: bool,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> tuple[Holder, str]:
    """Create a holder with password and wallet PIN, and email a single-use confirmation link
        (`confirm_url` has "{token}" in it), written in `language` (the one the holder registered
    in; stored on the holder when the model has the column). Returns the holder and the raw token."""
    now = now or now_utc()
    values = {k: (data.get(k) or "").strip() for k in HOLDER_FIELDS}
    values["country_code"] = values["country_code"].upper()
    if values["kind"] not in ("company", "private"):
        raise DomainError(_("Choose company or private."), field="kind")
    if values["kind"] == "company" and not values["company_name"]:
        raise DomainError(_("Give the company name."), field="company_name")
    for name in REQUIRED_FIELDS:
        if not values[name]:
            raise DomainError(str(REQUIRED_FIELDS[name]), field=name)
    values["email"] = email_address(values["email"])
    if not re.fullmatch(r"\+?[0-9 ()./-]{6,40}", values["phone"]):
        raise DomainError(
            _("Give the cell phone number with digits only, e.g. +32 470 12 34 56."), field="phone"
        )
    if session.get(Country, values["country_code"]) is None:
        raise DomainError(_("Choose your country of residence."), field="country_code")
    if session.scalar(select(Holder.id).where(Holder.email == values["email"])) is not None:
        raise DomainError(
            _("A wallet already exists for this email: log in instead."), field="email"
        )
    problem = password_problem(password or "", email=values["email"])
    if problem:
        raise DomainError(problem, field="password")
    pin = check_pin(pin)
    if not accepted_terms:
        raise DomainError(_("Accept the terms of use to create a wallet."), field="accept_terms")
    holder = Holder(**values, created_at=now)
    if language and hasattr(Holder, "language"):
        setattr(holder, "language", language)  # noqa: B010 — the column comes with F-83's migration
    session.add(holder)
    session.flush()
    session.add(
        HolderCredential(
            holder_id=holder.id,
            password_hash=hash_secret(normalize_password(password)),
            pin_hash=hash_secret(pin),
            failed_logins=0,
            pin_failures=0,
        )
    )
    token = send_confirmation(session, holder, confirm_url=confirm_url, now=now, language=language)
    audit.by_holder(
        session,
        "holder.registered",
        holder,
        data={"country": holder.country_code, "kind": holder.kind},
    )
    session.flush()
    return holder, token


def send_confirmation(
    session: Session,
    holder: Holder,
    *,
    confirm_url: str,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> str:
    """The confirmation link, emailed in the holder's language (`language` when given)."""
    now = now or now_utc()
    raw = new_token()
    session.add(
        HolderToken(
            holder_id=holder.id,
            purpose="confirm_email",
            email=holder.email,
            token_hash=keyed_hash("holder-token:" + raw),
            created_at=now,
            expires_at=now + CONFIRM_LIFETIME,
        )
    )
    with with_locale(language or language_of(holder)):
        outbox.add_email(
            session,
            holder.email,
            _("eATA wallet: confirm your email address"),
            _(
                "Hello %(name)s,\n\nConfirm your email address to use your eATA wallet (the "
                "link works once, for 48 hours):\n\n%(link)s\n\nIf you did not create a "
                "wallet, ignore this message.\n\neATA\n",
                name=holder.legal_name,
                link=confirm_url.replace("{token}", raw),
            ),
        )
    return raw


def holder_by_email(session: Session, email: str) -> Holder | None:
    return session.scalar(select(Holder).where(Holder.email == (email or "").strip().lower()))


def may_resend_confirmation(
    session: Session, holder: Holder, now: dt.datetime | None = None
) -> bool:
    now = now or now_utc()
    last = session.scalar(
        select(func.max(HolderToken.created_at)).where(
            HolderToken.holder_id == holder.id, HolderToken.purpose == "confirm_email"
        )
    )
    return last is None or now - last > dt.timedelta(minutes=10)


def confirm_email(session: Session, raw: str, *, now: dt.datetime | None = None) -> Holder | None:
    """Use a confirmation link once; None when unknown, used, expired or for an old address."""
    now = now or now_utc()
    token = session.scalar(
        select(HolderToken).where(
            HolderToken.token_hash == keyed_hash("holder-token:" + (raw or "")),
            HolderToken.purpose == "confirm_email",
        )
    )
    if token is None or token.used_at is not None or token.expires_at < now:
        return None
    holder = session.get(Holder, token.holder_id)
    if holder is None or holder.email != token.email:
        return None
    done = rows_changed(
        session,
        update(HolderToken)
        .where(HolderToken.id == token.id, HolderToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    if done != 1:
        return None
    cred = credential_of(session, holder)
    cred.email_confirmed_at = cred.email_confirmed_at or now
    audit.by_holder(session, "holder.email_confirmed", holder)
    session.flush()
    return holder


def update_profile(session: Session, holder: Holder, data: dict) -> None:
    """Change the contact details; the country of residence (and email) stay as registered."""
    if (data.get("country_code") or holder.country_code).upper() != holder.country_code:
        raise DomainError(
            _("The country of residence cannot be changed after registration."),
            field="country_code",
        )
    for name in ("title", "street", "postal_code", "city", "state", "phone"):
        if name in data:
            setattr(holder, name, (data[name] or "").strip()[:200])
    for name in ("street", "postal_code", "city", "phone"):
        if not getattr(holder, name):
            raise DomainError(_("This field is required."), field=name)
    audit.by_holder(session, "holder.profile_changed", holder)
    session.flush()


def credential_of(session: Session, holder: Holder) -> HolderCredential:
    return session.get_one(HolderCredential, holder.id)  # made with the holder
