"""Helpers of the SSO tests (fixtures in conftest.py): the provider's client registrations,
switching SSO on for a demo administration, the whole login round trip."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent
from tests.support.oidc import OidcProvider, path_of

SECRETS = {"be": "be-client-secret-0123456789", "fr": "fr-client-secret-9876543210"}


def client_of(code: str) -> dict:
    host = f"http://customs-{code}.eata.test"
    return {
        "client_id": f"eata-{code}",
        "client_secret": SECRETS[code],
        "redirect_uris": [f"{host}/login/sso/callback"],
        "post_logout_redirect_uris": [f"{host}/login"],
    }


def configure(session, code: str, provider: OidcProvider, **settings):
    """Switch SSO on for the demo administration `code` with `provider`."""
    from sqlalchemy import select

    from portal.domain import sso
    from portal.models import CustomsAdministration

    administration = session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == code)
    )
    values = dict(
        enabled=True,
        display_name=f"Douane {code.upper()} account",
        issuer=provider.issuer,
        client_id=f"eata-{code}",
        client_secret=SECRETS[code],
        allowed_domains=f"customs-{code}.demo",
        builtin_login=True,
        trust_mfa=False,
        mfa_acr_values=sso.DEFAULT_MFA_ACR,
        allow_http=True,
    )
    values.update(settings)
    provider_row, _ = sso.save_provider(session, administration, **values)
    session.commit()
    return provider_row


def start(client) -> str:
    r = client.get("/login/sso")
    assert r.status_code == 302, r.status_code
    return r.headers["Location"]


def sso_login(client, provider, sub, amr=None, acr=None):
    """The whole round trip: the portal's redirect, the provider's login, the callback."""
    provider.next_login(sub, amr=amr, acr=acr)
    callback = provider.authorize(start(client))
    return client.get(path_of(callback))


def logged_in(client) -> bool:
    r = client.get("/")
    return r.status_code == 200 and b"Log out" in r.data


def flashed(client) -> str:
    return client.get("/login").get_data(as_text=True)


def audits(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )
