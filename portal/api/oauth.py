"""OAuth 2.0 client credentials for the machine APIs (F-18), with Authlib.

Authlib runs the token endpoint (RFC 6749 §4.4: client authentication by HTTP Basic or form
fields, scope negotiation, the error bodies) and the bearer-token check of protected calls;
the storage — clients and hashed tokens — is portal.domain.api_clients.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import g
from sqlalchemy import select

from portal.domain import api_clients
from portal.extensions import db
from portal.models import ApiClient, ApiToken


class OAuthClient(ClientMixin):
    """Authlib's view of an ApiClient row."""

    def __init__(self, row: ApiClient):
        self.row = row

    def get_client_id(self):
        return self.row.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = self.row.scope_set
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return (
            api_clients.authenticate_client(db.session, self.row.client_id, client_secret or "")
            is not None
        )

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials" and self.row.active


class OAuthToken(TokenMixin):
    def __init__(self, row: ApiToken):
        self.row = row

    def check_client(self, client):
        return client.row.id == self.row.client_pk

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self):
        return api_clients.token_expired(self.row)

    def is_revoked(self):
        return self.row.revoked_at is not None or not self.row.client.active


class Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _query_client(client_id):
    if not client_id:
        return None
    client = db.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    return OAuthClient(client) if client is not None and client.active else None


def _save_token(token: dict, request) -> None:
    client: OAuthClient = request.client
    api_clients.store_token(
        db.session,
        client.row,
        token["access_token"],
        token.get("scope", ""),
        int(token["expires_in"]),
    )
    db.session.commit()


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = api_clients.find_token(db.session, token_string)
        return OAuthToken(row) if row is not None else None


authorization = AuthorizationServer()
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())


def init_oauth(app) -> None:
    seconds = int(app.config["NICS_TOKEN_SECONDS"])
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": seconds})
    authorization.init_app(app, query_client=_query_client, save_token=_save_token)
    authorization.register_grant(Grant)


def authenticate(scope: str) -> tuple[ApiClient | None, OAuth2Error | None]:
    """Check the request's bearer token for `scope`; sets g.api_client on success."""
    try:
        token = require_oauth.acquire_token([scope])
    except OAuth2Error as error:
        return None, error
    g.api_client = token.row.client
    return token.row.client, None
