"""F-26: carnet contents encrypted at rest with AES-GCM under rotating keys from the
environment; ciphertexts bound to their row."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import text

from portal.domain import api_clients, crypto
from portal.domain import carnets as domain
from portal.domain.api_clients import OPERATOR
from portal.extensions import db as database
from tests.support.factory import carnet_body


def _key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


@pytest.fixture
def restore_keys(app):
    yield
    crypto.configure(app.config["DATA_KEYS"])


def test_f26_roundtrip_and_key_id_in_ciphertext():
    ring = crypto.Keyring(_key("k1"))
    token = ring.encrypt("Studio Lumière", "carnet:1:holder")
    assert token.startswith("k1.") and "Lumière" not in token
    assert ring.decrypt(token, "carnet:1:holder") == "Studio Lumière"
    assert ring.encrypt("same", "a") != ring.encrypt("same", "a")  # fresh nonce every time


def test_f26_ciphertext_is_bound_to_its_row_and_key():
    ring = crypto.Keyring(_key("k1"))
    token = ring.encrypt("secret", "carnet:1:holder")
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(token, "carnet:2:holder")  # copied to another row
    with pytest.raises(crypto.DataKeyError):
        crypto.Keyring(_key("k1")).decrypt(token, "carnet:1:holder")  # another key, same kid
    with pytest.raises(crypto.DataKeyError, match="unknown data key"):
        crypto.Keyring(_key("k2")).decrypt(token, "carnet:1:holder")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(tampered, "carnet:1:holder")


@pytest.mark.parametrize(
    "spec,message",
    [
        ("", "no data key"),
        ("nokid", "expected kid:base64key"),
        ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ("k1:%%%", "not base64"),
        (_key("k1") + "," + _key("k1"), "twice"),
    ],
)
def test_f26_bad_key_configuration_is_refused(spec, message):
    with pytest.raises(crypto.DataKeyError, match=message):
        crypto.Keyring(spec)


def _issue(session, **overrides):
    nga = api_clients.create_nga(session, "BE", "FEB ATA")
    carnet, pin = domain.issue_carnet(session, nga, carnet_body(**overrides), OPERATOR)
    session.commit()
    return carnet


def _raw_dump(session) -> str:
    rows = []
    for table in ("carnet", "goods_item", "carnet_link", "audit_event", "idempotency_record"):
        rows += [str(tuple(r)) for r in session.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


def test_f26_raw_rows_hold_no_plaintext_holder_or_goods(session):
    carnet = _issue(session)
    dump = _raw_dump(session)
    for secret in (
        "Studio Lumière",
        "Rue Haute",
        "Anne Peeters",
        "Camera body Arri Alexa",
        "ARRI-1001",
        "BE-99-1234",
    ):
        assert secret not in dump, secret
    assert carnet.carnet_number in dump  # plain columns stay queryable
    assert domain.holder_of(carnet)["name"] == "Studio Lumière SPRL"


def test_f26_key_rotation_reencrypts_everything_with_the_new_key(app, session, restore_keys):
    carnet = _issue(session)
    old_spec = app.config["DATA_KEYS"]
    old_kid = old_spec.split(":")[0]
    new_spec = _key("new1")
    crypto.configure(new_spec + "," + old_spec)  # new key first, the old one still listed
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "carnets: 1, goods_items: 3" in result.output
    session.expire_all()
    dump = _raw_dump(session)
    assert "new1." in dump and f"'{old_kid}." not in dump
    crypto.configure(new_spec)  # the old key can now be dropped
    reloaded = domain.get_by_eata_id(session, carnet.eata_id)
    assert domain.holder_of(reloaded)["name"] == "Studio Lumière SPRL"
    assert domain.item_description(reloaded, reloaded.items[0]).startswith("Camera body")
    assert domain.item_marks(reloaded, reloaded.items[0]) == "ARRI-1001"
    with database.new_session() as s:
        assert domain.rotate_keys(s) == {"carnets": 0, "goods_items": 0, "idempotency_records": 0}


def test_f26_keys_new_prints_a_usable_key(app):
    result = app.test_cli_runner().invoke(args=["keys", "new", "k2026"])
    assert result.exit_code == 0
    assert crypto.Keyring(result.output.strip()).primary == "k2026"
