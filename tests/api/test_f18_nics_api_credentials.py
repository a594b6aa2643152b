"""F-18 API credentials: OAuth 2.0 client credentials, hashed secrets and tokens, rotation,
revocation, scopes, per-client rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients
from portal.models import ApiClient as ApiClientRow
from portal.models import ApiToken, AuditEvent
from tests.api.conftest import ApiClient, get_token


def test_f18_token_endpoint_issues_short_lived_bearer_tokens(app, ngas):
    _, client_id, secret = ngas["be"]
    r = get_token(app, client_id, secret)
    assert r.status_code == 200
    body = r.get_json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert set(body["scope"].split()) == {"carnets:read", "carnets:write"}
    assert ApiClient(app, body["access_token"]).get("/v1/carnets").status_code == 200


def test_f18_secret_in_form_fields_works_too(app, ngas):
    _, client_id, secret = ngas["be"]
    r = app.test_client().post(
        "/v1/oauth/token",
        base_url="http://api.eata.test",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 200


def test_f18_wrong_secret_or_unknown_client_is_refused(app, ngas):
    _, client_id, secret = ngas["be"]
    assert get_token(app, client_id, secret + "x").status_code == 401
    assert get_token(app, "nga_0000000000000000", secret).status_code == 401
    r = app.test_client().post(
        "/v1/oauth/token", base_url="http://api.eata.test", data={"grant_type": "password"}
    )
    assert r.status_code in (400, 401)


def test_f18_calls_without_a_valid_token_are_401_problems(app, ngas):
    for token in (None, "not-a-token"):
        r = ApiClient(app, token).get("/v1/carnets")
        assert r.status_code == 401
        assert r.mimetype == "application/problem+json"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.get_json()["status"] == 401


def test_f18_secrets_and_tokens_are_stored_hashed(app, ngas, api, session):
    _, client_id, secret = ngas["be"]
    row = session.scalar(select(ApiClientRow).where(ApiClientRow.client_id == client_id))
    assert secret not in row.secret_hash and len(row.secret_hash) == 64
    tokens = session.scalars(select(ApiToken)).all()
    assert tokens and all(api.token != t.token_hash for t in tokens)


def test_f18_token_expires(app, api, monkeypatch):
    assert api.get("/v1/carnets").status_code == 200
    later = now_utc() + dt.timedelta(minutes=16)
    monkeypatch.setattr(api_clients, "now_utc", lambda: later)
    r = api.get("/v1/carnets")
    assert r.status_code == 401
    assert "expired" in r.get_json()["detail"]


def test_f18_revoked_client_loses_its_tokens_and_cannot_get_new_ones(app, ngas, api, session):
    _, client_id, secret = ngas["be"]
    api_clients.revoke_client(session, api_clients.find_client(session, client_id))
    session.commit()
    assert api.get("/v1/carnets").status_code == 401
    assert get_token(app, client_id, secret).status_code == 401
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "api_client.revoked"))


def test_f18_rotation_replaces_the_secret_and_ends_old_tokens(app, ngas, api, session):
    _, client_id, secret = ngas["be"]
    new_secret = api_clients.rotate_secret(session, api_clients.find_client(session, client_id))
    session.commit()
    assert api.get("/v1/carnets").status_code == 401
    assert get_token(app, client_id, secret).status_code == 401
    assert get_token(app, client_id, new_secret).status_code == 200


def test_f18_read_scope_cannot_write(api_as):
    reader = api_as("be", scope="carnets:read")
    assert reader.get("/v1/carnets").status_code == 200
    r = reader.post("/v1/carnets", json={})
    assert r.status_code == 403
    assert "carnets:write" in r.get_json()["detail"]


def test_f18_customs_owned_client_is_refused_on_the_nics_api(app, demo, session):
    from portal.models import CustomsAdministration

    be = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    client, secret = api_clients.create_client(session, "BE customs system", customs_id=be.id)
    session.commit()
    r = get_token(app, client.client_id, secret)
    assert r.status_code == 200
    assert ApiClient(app, r.get_json()["access_token"]).get("/v1/carnets").status_code == 403


def test_f18_rate_limit_is_per_client(app, api_as, monkeypatch):
    monkeypatch.setitem(app.config, "NICS_RATE_LIMIT", "3/minute")
    be, fr = api_as("be"), api_as("fr")
    assert [be.get("/v1/carnets").status_code for _ in range(4)] == [200, 200, 200, 429]
    r = be.get("/v1/carnets")
    assert r.mimetype == "application/problem+json"
    assert fr.get("/v1/carnets").status_code == 200  # another client has its own budget


def test_f18_operator_commands(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["nga", "create", "--country", "CH", "--name", "Swiss ATA NGA"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["nga", "create", "--country", "XX", "--name", "Nowhere"])
    assert r.exit_code != 0 and "ISO 3166" in r.output
    r = runner.invoke(args=["nga", "add-association", "Swiss ATA NGA", "--name", "CCI Genève"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["api-client", "create", "--nga", "Swiss ATA NGA", "--name", "NICS"])
    assert r.exit_code == 0, r.output
    client_id = r.output.split("client_id:")[1].split()[0]
    secret = r.output.split("client_secret:")[1].split()[0]
    assert get_token(app, client_id, secret).status_code == 200
    r = runner.invoke(args=["api-client", "rotate", client_id])
    new_secret = r.output.split("client_secret:")[1].split()[0]
    assert get_token(app, client_id, secret).status_code == 401
    assert get_token(app, client_id, new_secret).status_code == 200
    assert runner.invoke(args=["api-client", "revoke", client_id]).exit_code == 0
    assert get_token(app, client_id, new_secret).status_code == 401
    r = runner.invoke(args=["api-client", "revoke", client_id])
    assert r.exit_code != 0 and "already revoked" in r.output
    r = runner.invoke(args=["nga", "list"])
    assert "Swiss ATA NGA" in r.output and "revoked" in r.output
    assert runner.invoke(args=["api-client", "purge"]).exit_code == 0


def test_r10_failed_token_requests_are_logged(app, ngas, session):
    _, client_id, secret = ngas["be"]
    assert get_token(app, client_id, "guess").status_code == 401
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "api_client.auth_failed"))
    assert event is not None and event.actor_label == client_id and event.ip


def test_r10_token_endpoint_is_rate_limited(app, ngas, monkeypatch):
    monkeypatch.setitem(app.config, "NICS_TOKEN_RATE_LIMIT", "2/minute")
    _, client_id, secret = ngas["be"]
    codes = [get_token(app, client_id, "guess").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_f18_rate_limit_is_shared_by_all_endpoints_of_a_client(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "NICS_RATE_LIMIT", "2/minute")
    assert api.get("/v1/carnets").status_code == 200
    assert api.get("/v1/claims").status_code == 200
    assert api.get("/v1/carnets/123456789").status_code == 429


def test_r10_guessing_tokens_is_rate_limited_per_address(app, ngas, monkeypatch):
    monkeypatch.setitem(app.config, "NICS_BAD_TOKEN_RATE_LIMIT", "3/minute")
    guesser = ApiClient(app, "guessed-token")
    assert [guesser.get("/v1/carnets").status_code for _ in range(4)] == [401, 401, 401, 429]
