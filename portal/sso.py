"""The OpenID Connect client of each administration's provider (F-19), with Authlib.

Authlib does the protocol: discovery (`/.well-known/openid-configuration`), the authorization
code flow with PKCE (S256), `state` and `nonce` kept in the signed session and checked once,
the token request, and the ID token's signature (JWKS, fetched again when a token names an
unknown key: key rotation), issuer, audience, expiry and nonce, with a bounded clock skew
(`LEEWAY_SECONDS`). The portal adds what Authlib leaves out: the discovery document's `issuer`
must be exactly the configured issuer (Discovery 1.0 §4.3), and the ID token's `aud` must
contain the client id (Authlib checks the audience only through `azp`, so a token for another
client with `azp` set to ours would pass).

One client per administration, kept per process (portal.caches) and rebuilt when its settings
change (`SsoProvider.updated_at`). The rules (which account, MFA) are portal/domain/sso.py."""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import Response
from joserfc.errors import JoseError

from portal import caches
from portal.domain import sso
from portal.models import SsoProvider

LEEWAY_SECONDS = 60  # clock skew accepted on exp/iat/nbf of an ID token
HTTP_TIMEOUT = 10  # seconds, every request to the provider
SCOPE = "openid email profile"

_clients: dict[int, tuple[tuple, FlaskOAuth2App]] = {}
caches.register("sso_clients", _clients.clear)

__all__ = ["MismatchingStateError", "OAuthError", "SsoError"]


class SsoError(Exception):
    """The provider could not be reached, or its answer did not pass the checks. `reason` goes
    to the audit trail; the user gets a general message."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _build(issuer: str, client_id: str, client_secret: str, name: str) -> FlaskOAuth2App:
    return FlaskOAuth2App(
        FlaskIntegration(name),
        name,
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=sso.discovery_url(issuer),
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,
        },
    )


def client_for(provider: SsoProvider) -> FlaskOAuth2App:
    key = (provider.issuer, provider.client_id, provider.client_secret_enc, provider.updated_at)
    cached = _clients.get(provider.customs_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    client = _build(
        provider.issuer,
        provider.client_id,
        sso.client_secret(provider),
        f"sso{provider.customs_id}",
    )
    _clients[provider.customs_id] = (key, client)
    return client


def metadata(client: FlaskOAuth2App, issuer: str) -> dict:
    """The provider's discovery document, checked: its issuer is the configured one and it has
    the endpoints the code flow needs."""
    try:
        meta = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        client.server_metadata.clear()
        raise SsoError("discovery", str(exc)[:200]) from exc
    if meta.get("issuer") != issuer:
        client.server_metadata.clear()
        raise SsoError(
            "discovery", f"the provider says its issuer is {meta.get('issuer')!r}, not {issuer!r}"
        )
    missing = [
        k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not meta.get(k)
    ]
    if missing:
        client.server_metadata.clear()
        raise SsoError("discovery", "missing " + ", ".join(missing))
    return meta


def check_discovery(issuer: str, allow_http: bool) -> str | None:
    """For the settings page: None when `issuer` publishes a usable discovery document, else
    what is wrong, in words."""
    try:
        metadata(_build(issuer, "check", "check", "ssocheck"), issuer)
    except SsoError as exc:
        return exc.detail
    return None


def start(provider: SsoProvider, redirect_uri: str) -> Response:
    """The redirect to the provider's authorization endpoint (code flow, PKCE, state, nonce)."""
    client = client_for(provider)
    metadata(client, provider.issuer)
    try:
        return client.authorize_redirect(redirect_uri)
    except (requests.RequestException, AuthlibBaseError) as exc:
        raise SsoError("authorize", str(exc)[:200]) from exc


def finish(provider: SsoProvider) -> dict:
    """The validated ID token claims of the provider's answer on the callback. Raises
    OAuthError (the provider refused, or the state is unknown: MismatchingStateError) or
    SsoError (the token could not be obtained or failed a check)."""
    client = client_for(provider)
    metadata(client, provider.issuer)
    try:
        token = client.authorize_access_token(
            leeway=LEEWAY_SECONDS,
            # Authlib's default checks only `iss`; `aud` must contain the client id (Core
            # 3.1.3.7 step 3), which its ID token class checks only through `azp`
            claims_options={
                "iss": {"essential": True, "values": [provider.issuer]},
                "aud": {"essential": True, "values": [provider.client_id]},
            },
        )
    except OAuthError:
        raise
    except JoseError as exc:
        raise SsoError("id_token", f"{type(exc).__name__}: {exc}"[:200]) from exc
    except (requests.RequestException, AuthlibBaseError, ValueError, KeyError) as exc:
        raise SsoError("token", f"{type(exc).__name__}: {exc}"[:200]) from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token in the answer: nothing was validated
        raise SsoError("id_token", "the token response has no ID token")
    return dict(claims)


def logout_url(provider: SsoProvider, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-Initiated Logout 1.0) when it has one."""
    client = client_for(provider)
    try:
        meta = metadata(client, provider.issuer)
    except SsoError:
        return None
    if not meta.get("end_session_endpoint"):
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, client_id=provider.client_id
    )["url"]
