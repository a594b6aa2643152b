"""Single sign-on by OpenID Connect for customs administrations (F-19): the provider settings
of an administration, which portal account a provider identity is, and whether the provider's
multifactor authentication counts.

No Flask and no protocol here: discovery, JWKS, the code flow and the ID token checks are
Authlib's (portal/sso.py). This module gets the ID token's claims once Authlib has validated
them. Roles, regions and offices stay in the portal: SSO never creates or changes an account
except to bind it to its provider subject."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError, crypto, identity
from portal.domain.organisation.base import Changes, apply_changes
from portal.models import Account, CustomsAdministration, SsoIdentity, SsoProvider

# RFC 8176: "mfa" in `amr` says several factors were used (Entra ID, Keycloak, oidc-provider)
MFA_AMR = "mfa"
DEFAULT_MFA_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def provider_of(session: Session, customs_id: int) -> SsoProvider | None:
    return session.scalar(select(SsoProvider).where(SsoProvider.customs_id == customs_id))


def active_provider(session: Session, customs_id: int) -> SsoProvider | None:
    """The administration's provider when single sign-on is switched on."""
    provider = provider_of(session, customs_id)
    return provider if provider is not None and provider.enabled else None


def builtin_login_allowed(session: Session, customs_id: int) -> bool:
    """Email + password login stays available unless SSO is on and the admin turned it off."""
    provider = active_provider(session, customs_id)
    return provider is None or provider.builtin_login


def _secret_aad(customs_id: int) -> str:
    return f"sso_provider:{customs_id}:client_secret"


def client_secret(provider: SsoProvider) -> str:
    return crypto.decrypt(provider.client_secret_enc, _secret_aad(provider.customs_id))


def lines(text: str | None) -> list[str]:
    """The values of a one-per-line (or comma-separated) setting, in order, without repeats."""
    out: list[str] = []
    for item in re.split(r"[\s,]+", text or ""):
        if item and item not in out:
            out.append(item)
    return out


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 1.0 §4: the issuer plus /.well-known/openid-configuration."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def check_issuer(issuer: str, allow_http: bool) -> str:
    issuer = (issuer or "").strip()
    if not issuer:
        raise DomainError("Enter the issuer URL of your identity provider.", "issuer")
    parts = urlsplit(issuer)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise DomainError(
            "The issuer must be an https:// URL, e.g. "
            "https://login.microsoftonline.com/<tenant id>/v2.0.",
            "issuer",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DomainError(
            "The issuer URL has no query, fragment or user name: copy it as the provider shows it.",
            "issuer",
        )
    if len(issuer) > 500:
        raise DomainError("The issuer URL is too long (500 characters at most).", "issuer")
    return issuer


def check_domains(text: str | None) -> list[str]:
    domains = lines(" ".join(d.lower().lstrip("@") for d in lines(text)))
    bad = [d for d in domains if not _DOMAIN.match(d)]
    if bad:
        raise DomainError(
            f"Not an email domain: {', '.join(bad[:3])}. Write domains like douane.example, "
            "one per line.",
            "allowed_domains",
        )
    return domains


def save_provider(
    session: Session,
    administration: CustomsAdministration,
    *,
    enabled: bool,
    display_name: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    allowed_domains: str,
    builtin_login: bool,
    trust_mfa: bool,
    mfa_acr_values: str,
    allow_http: bool = False,
) -> tuple[SsoProvider, Changes]:
    """Create or update the administration's provider. A blank `client_secret` keeps the
    stored one. The changes returned never contain the secret, only that it changed."""
    provider = provider_of(session, administration.id)
    issuer = check_issuer(issuer, allow_http)
    client_id = (client_id or "").strip()
    if not client_id:
        raise DomainError("Enter the client ID (application ID) of the portal.", "client_id")
    if len(client_id) > 255:
        raise DomainError("The client ID is too long (255 characters at most).", "client_id")
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError(
            'Enter the name users know the provider by, e.g. "Douane account".', "display_name"
        )
    if len(display_name) > 80:
        raise DomainError("The name is too long (80 characters at most).", "display_name")
    domains = check_domains(allowed_domains)
    if enabled and not domains:
        raise DomainError(
            "Enter at least one email domain whose accounts may log in with the provider.",
            "allowed_domains",
        )
    secret = (client_secret or "").strip()
    if provider is None and not secret:
        raise DomainError(
            "Enter the client secret the provider gave for the portal.", "client_secret"
        )
    if not enabled and not builtin_login:
        raise DomainError(
            "The email and password login must stay on while single sign-on is off, or nobody "
            "could log in.",
            "builtin_login",
        )
    acr_values = lines(mfa_acr_values)
    values: dict[str, Any] = {
        "enabled": bool(enabled),
        "display_name": display_name,
        "issuer": issuer,
        "client_id": client_id,
        "allowed_domains": "\n".join(domains),
        "builtin_login": bool(builtin_login),
        "trust_mfa": bool(trust_mfa),
        "mfa_acr_values": "\n".join(acr_values),
    }
    if provider is None:
        provider = SsoProvider(customs_id=administration.id, client_secret_enc="")
        session.add(provider)
        changes: Changes = {name: (None, value) for name, value in values.items()}
        for name, value in values.items():
            setattr(provider, name, value)
    else:
        changes = apply_changes(provider, values)
    if secret:
        if provider.client_secret_enc and client_secret_matches(provider, secret):
            pass
        else:
            provider.client_secret_enc = crypto.encrypt(secret, _secret_aad(administration.id))
            changes["client_secret"] = ("(secret)", "(changed)")
    if changes:
        provider.updated_at = now_utc()
    session.flush()
    return provider, changes


def switch_off(session: Session, administration: CustomsAdministration) -> Changes:
    """SSO off and the built-in login on (the operator's way back in); the settings stay."""
    provider = provider_of(session, administration.id)
    if provider is None:
        return {}
    changes = apply_changes(provider, {"enabled": False, "builtin_login": True})
    if changes:
        provider.updated_at = now_utc()
    session.flush()
    return changes


def client_secret_matches(provider: SsoProvider, secret: str) -> bool:
    try:
        return client_secret(provider) == secret
    except crypto.DataKeyError:
        return False


# --- the account behind a provider identity ------------------------------------------------


@dataclass
class Match:
    """The outcome of matching validated ID token claims: `account` when the login may go on,
    else `reason` (for the audit trail) and `message` (for the user)."""

    account: Account | None = None
    reason: str = ""
    message: str = ""
    bound: bool = False  # this login bound the account to its provider subject


DISABLED = (
    "Your account in the portal is disabled, so you cannot log in, even through your "
    "organisation's login. Ask an administrator of your customs administration."
)


def match_account(
    session: Session,
    administration: CustomsAdministration,
    provider: SsoProvider,
    claims: dict,
    now: dt.datetime | None = None,
) -> Match:
    """The portal account of a provider identity. Known subject → its account; otherwise the
    first login binds the active account with the same *verified* email in an allowed domain.
    Nothing is created; a disabled account is refused whatever the provider says."""
    now = now or now_utc()
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        return Match(reason="claims", message="Your organisation's login sent no user identity.")
    bound = session.scalar(
        select(SsoIdentity).where(
            SsoIdentity.customs_id == administration.id,
            SsoIdentity.issuer == issuer,
            SsoIdentity.subject == subject,
        )
    )
    if bound is not None:
        account = bound.account
        if not account.active:
            return Match(account=None, reason="disabled", message=DISABLED)
        bound.last_login_at = now
        return Match(account=account)
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        return Match(
            reason="no_email",
            message=(
                f"{provider.display_name} did not tell the portal your email address, so it "
                "cannot find your account. Ask your administrator to release the email claim "
                "to the portal."
            ),
        )
    if not email_verified(claims):
        return Match(
            reason="email_unverified",
            message=(
                f"{provider.display_name} has not confirmed that {email} is yours, so the "
                "portal cannot link it to your account. Ask your administrator."
            ),
        )
    domain = email.rpartition("@")[2]
    if domain not in lines(provider.allowed_domains):
        return Match(
            reason="domain",
            message=(
                f"Email addresses at {domain} cannot log in to {administration.name} with "
                f"{provider.display_name}."
            ),
        )
    found = identity.find_account(session, administration.id, email)
    if found is None:
        return Match(
            reason="unknown",
            message=(
                f"There is no account for {email} at {administration.name}. An administrator "
                "must create your account in the portal before you can log in."
            ),
        )
    account = found
    if not account.active:
        return Match(reason="disabled", message=DISABLED)
    other = session.scalar(
        select(SsoIdentity).where(
            SsoIdentity.account_id == account.id, SsoIdentity.issuer == issuer
        )
    )
    if other is not None:
        return Match(
            reason="bound_elsewhere",
            message=(
                f"Your portal account is already linked to another {provider.display_name} "
                "identity. Ask an administrator."
            ),
        )
    session.add(
        SsoIdentity(
            customs_id=administration.id,
            account_id=account.id,
            issuer=issuer,
            subject=subject,
            last_login_at=now,
        )
    )
    session.flush()
    return Match(account=account, bound=True)


def email_verified(claims: dict) -> bool:
    """`email_verified` (OpenID Connect Core), or Entra ID's optional `xms_edov` ("email domain
    owner verified": the tenant owns the email's domain); Entra ID sends no `email_verified`."""
    return claims.get("email_verified") is True or claims.get("xms_edov") in (True, "1", "true")


def provider_mfa(provider: SsoProvider, claims: dict) -> bool:
    """True when the administration trusts its provider's MFA and this token says it was
    done: `amr` contains "mfa" (RFC 8176), or `acr` is one of the accepted values."""
    if not provider.trust_mfa:
        return False
    amr = claims.get("amr")
    if isinstance(amr, list) and MFA_AMR in amr:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in lines(provider.mfa_acr_values)
