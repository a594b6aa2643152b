"""NGAs, issuing associations, API clients and their bearer tokens (F-18).

Client secrets and access tokens are 256-bit random strings (`secrets`), so they are stored as
a keyed HMAC-SHA256 (portal.domain.codes.keyed_hash), not argon2: a slow hash protects secrets
a person chose and could be guessed offline; a 256-bit random secret cannot be, and the token
endpoint and every API call must check it quickly. The HMAC key lives outside the database
(EATA_LOOKUP_KEY), so a stolen database alone does not even allow checking a guess.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError, Invalid, NotFound, audit, values
from portal.domain.codes import keyed_hash, same
from portal.models import NGA, ApiClient, ApiToken, Country, IssuingAssociation

NGA_SCOPES = ("carnets:read", "carnets:write")
CUSTOMS_SCOPES = ("customs:read", "customs:write")


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit trail records it."""

    type: str  # 'api_client', 'account', 'operator', 'system'
    id: int | None = None
    label: str = ""
    ip: str | None = None

    @classmethod
    def of_client(cls, client: ApiClient, ip: str | None = None) -> Actor:
        return cls("api_client", client.id, client.client_id, ip)


OPERATOR = Actor("operator", None, "operator (command line)")

ADDRESS_LINES = {
    "street": (_l("street"), 200),
    "postal_code": (_l("postal code"), 20),
    "city": (_l("city"), 120),
}


def contact_details(data: dict, *, website: bool = False) -> dict[str, str]:
    """The checked contact details of an NGA (`website`) or an issuing association, as the
    public directory shows them (mailto:, tel:, a link): every field optional, the address
    lines as an office's, the email through the one email check, the phone digits, spaces and
    + ( ) - . only, the website an http(s) address with a host. Every refused field at once
    (Invalid), nothing changed."""
    email = functools.partial(values.email_address, field="email", required=False)
    checks: dict[str, Callable[[Any], str]] = {
        **{
            key: functools.partial(values.text, field=key, label=label, max_len=max_len)
            for key, (label, max_len) in ADDRESS_LINES.items()
        },
        "email": email,
        "phone": values.phone,
        **({"website": values.website} if website else {}),
    }
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, check in checks.items():
        try:
            clean[key] = check(data.get(key))
        except DomainError as exc:
            errors[key] = exc.message
    if errors:  # shown next to each field (DomainError.by_field)
        raise Invalid(errors)
    return {k: v or "" for k, v in clean.items()}


def create_nga(
    session: Session, country_code: str, name: str, *, actor: Actor = OPERATOR, **contact: str
) -> NGA:
    country_code = country_code.upper()
    if session.get(Country, country_code) is None:
        raise DomainError(f"{country_code} is not an ISO 3166 country code.", "country")
    if session.scalar(select(NGA).where(NGA.name == name)):
        raise Conflict(f"An NGA named {name!r} already exists.", "name")
    nga = NGA(country_code=country_code, name=name, **contact_details(contact, website=True))
    session.add(nga)
    session.flush()
    audit.by_actor(
        session,
        "nga.created",
        actor,
        object_type="nga",
        object_id=nga.id,
        data={"name": name, "country": country_code},
    )
    return nga


def create_issuing_association(
    session: Session, nga: NGA, name: str, *, actor: Actor = OPERATOR, **contact: str
) -> IssuingAssociation:
    if session.scalar(
        select(IssuingAssociation).where(
            IssuingAssociation.nga_id == nga.id, IssuingAssociation.name == name
        )
    ):
        raise Conflict(f"{nga.name} already has an issuing association named {name!r}.", "name")
    ia = IssuingAssociation(nga=nga, name=name, **contact_details(contact))
    session.add(ia)
    session.flush()
    audit.by_actor(
        session,
        "issuing_association.created",
        actor,
        object_type="issuing_association",
        object_id=ia.id,
        data={"name": name, "nga_id": nga.id},
    )
    return ia


def find_nga(session: Session, ref: str) -> NGA:
    """An NGA by id or exact name (command line)."""
    nga = (
        session.get(NGA, int(ref))
        if ref.isdigit()
        else session.scalar(select(NGA).where(NGA.name == ref))
    )
    if nga is None:
        raise NotFound(f"No NGA {ref!r}.")
    return nga


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_client(
    session: Session,
    name: str,
    *,
    nga: NGA | None = None,
    customs_id: int | None = None,
    scopes: tuple[str, ...] | None = None,
    actor: Actor = OPERATOR,
) -> tuple[ApiClient, str]:
    """A new client owned by an NGA (NICS) or a customs administration; returns the secret,
    which is shown once and never stored."""
    if (nga is None) == (customs_id is None):
        raise DomainError("An API client belongs to exactly one NGA or customs administration.")
    kind = "nga" if nga is not None else "customs"
    allowed = NGA_SCOPES if kind == "nga" else CUSTOMS_SCOPES
    scopes = tuple(scopes or allowed)
    bad = [s for s in scopes if s not in allowed]
    if bad:
        raise DomainError(f"Unknown scope(s) for a {kind} client: {', '.join(bad)}.", "scopes")
    secret = _new_secret()
    client = ApiClient(
        client_id=f"{kind}_{secrets.token_hex(8)}",
        secret_hash=keyed_hash(secret),
        name=name,
        owner_kind=kind,
        nga_id=nga.id if nga else None,
        customs_id=customs_id,
        scopes=" ".join(scopes),
    )
    session.add(client)
    session.flush()
    audit.by_actor(
        session,
        "api_client.created",
        actor,
        object_type="api_client",
        object_id=client.client_id,
        customs_id=customs_id,
        data={"name": name, "owner_kind": kind, "nga_id": client.nga_id, "scopes": client.scopes},
    )
    return client, secret


def find_client(session: Session, client_id: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        raise NotFound(f"No API client {client_id!r}.")
    return client


def revoke_tokens(session: Session, client: ApiClient) -> int:
    return rows_changed(
        session,
        update(ApiToken)
        .where(ApiToken.client_pk == client.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now_utc()),
    )


def rotate_secret(session: Session, client: ApiClient, *, actor: Actor = OPERATOR) -> str:
    """A new secret; the old one stops working at once, and so do tokens issued under it."""
    if not client.active:
        raise Conflict(f"API client {client.client_id} is revoked: create a new one.")
    secret = _new_secret()
    client.secret_hash = keyed_hash(secret)
    client.rotated_at = now_utc()
    revoked = revoke_tokens(session, client)
    audit.by_actor(
        session,
        "api_client.rotated",
        actor,
        object_type="api_client",
        object_id=client.client_id,
        customs_id=client.customs_id,
        data={"tokens_revoked": revoked},
    )
    return secret


def revoke_client(session: Session, client: ApiClient, *, actor: Actor = OPERATOR) -> None:
    if not client.active:
        raise Conflict(f"API client {client.client_id} is already revoked.")
    client.active = False
    client.revoked_at = now_utc()
    revoked = revoke_tokens(session, client)
    audit.by_actor(
        session,
        "api_client.revoked",
        actor,
        object_type="api_client",
        object_id=client.client_id,
        customs_id=client.customs_id,
        data={"tokens_revoked": revoked},
    )


def authenticate_client(session: Session, client_id: str, secret: str) -> ApiClient | None:
    """The active client whose id and secret match, or None (same answer for every failure)."""
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    expected = client.secret_hash if client is not None else keyed_hash("no-such-client")
    if not same(expected, keyed_hash(secret)) or client is None or not client.active:
        return None
    return client


def store_token(
    session: Session, client: ApiClient, access_token: str, scope: str, expires_in: int
) -> ApiToken:
    now = now_utc()
    token = ApiToken(
        client_pk=client.id,
        token_hash=keyed_hash(access_token),
        scope=scope,
        issued_at=now,
        expires_at=now + dt.timedelta(seconds=expires_in),
    )
    client.last_used_at = now
    session.add(token)
    return token


def token_expired(token: ApiToken) -> bool:
    return token.expires_at <= now_utc()


def token_is_live(token: ApiToken | None) -> bool:
    return (
        token is not None
        and token.revoked_at is None
        and not token_expired(token)
        and token.client.active
    )


# built once: the statement of every API request
_TOKEN = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("token_hash"))
    .options(joinedload(ApiToken.client).joinedload(ApiClient.nga))
)


def find_token(session: Session, access_token: str) -> ApiToken | None:
    return session.execute(_TOKEN, {"token_hash": keyed_hash(access_token)}).scalar_one_or_none()


def purge_expired_tokens(session: Session, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    return rows_changed(
        session, delete(ApiToken).where(ApiToken.expires_at < now_utc() - older_than)
    )
