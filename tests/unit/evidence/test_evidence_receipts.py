"""Signed receipts (docs/evidence.md): a receipt verifies offline with the published keys; a
changed byte, another key or a cancelled transaction's receipt is reported as such; key
rotation keeps old receipts valid."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest
import segno

from portal.domain import evidence, receipts, signing
from portal.domain import evidence_verify as ev
from portal.domain.transactions import cancel_transaction
from portal.models import Carnet, Transaction
from tests.support.factory import commit, issue, travel


def _seed() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _committed(world, kind="validation", cc="ch", carnet=None, t=None):
    carnet = carnet or issue(world, items=3)
    t = t or travel(world, carnet, "CH", "FR")
    result = commit(world, t, kind, cc)
    txn = world.session.get(Transaction, result.transaction_id)
    return txn, receipts.verification_payload_of(world.session, txn), result


def _published() -> dict[str, ev.PublicKey]:
    # what a verifier downloads: the JSON document, not the application's objects
    return ev.load_keys(json.loads(json.dumps(signing.keyring().published())))


def test_evidence_receipt_verifies_offline_with_the_published_keys(world):
    txn, qr, result = _committed(world)
    assert qr.startswith("EATAR1|") and txn.receipt_signature
    verdict = ev.verify(qr, _published())
    assert verdict.status == ev.VALID, verdict.reason
    fields = verdict.fields
    carnet = world.session.get(Carnet, txn.carnet_id)
    assert fields["kind"] == "validation" and fields["country"] == "CH"
    assert fields["office"] == txn.office_name
    assert fields["lines"] == "1-3x1"  # three items of one piece each, one run
    assert fields["verification_code"] == result.verification_code
    assert fields["carnet_number"] == carnet.carnet_number
    assert fields["eata_id"] == str(carnet.eata_id)
    # the QR stays small enough for a phone screen and paper: version 10 (57 modules) at M
    assert segno.make(qr, error="m").version <= 12


def test_evidence_standalone_verifier_needs_nothing_of_eata(world, tmp_path):
    """The verifier file copied alone, run by a plain interpreter: VALID, and exit 1 on a
    changed receipt."""
    _txn, qr, _ = _committed(world)
    script = tmp_path / "evidence_verify.py"
    shutil.copy(ev.__file__, script)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(signing.keyring().published()))
    qr_file = tmp_path / "receipt.txt"
    qr_file.write_text(qr)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ""}
    ok = subprocess.run(
        [sys.executable, "-I", str(script), "--keys", str(keys), str(qr_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr
    bad = subprocess.run(
        [sys.executable, "-I", str(script), "--keys", str(keys), qr.replace("|CH|", "|FR|")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert bad.returncode == 1 and bad.stdout.startswith("INVALID")


@pytest.mark.parametrize(
    "change",
    ["office", "goods", "time", "signature", "kind", "code"],
)
def test_evidence_a_changed_byte_makes_the_receipt_invalid(world, change):
    _txn, qr, _ = _committed(world)
    parts = qr.split("|")
    index = {"kind": 3, "office": 5, "time": 6, "goods": 7, "code": 8, "signature": 10}[change]
    value = parts[index]
    if change == "time":
        parts[index] = value[:-2] + ("1Z" if value[-2] != "1" else "2Z")
    elif change == "signature":
        parts[index] = ("A" if value[0] != "A" else "B") + value[1:]
    elif change == "goods":
        parts[index] = value.replace("x1", "x2", 1)
    else:
        parts[index] = value[:-1] + ("X" if value[-1] != "X" else "Y")
    verdict = ev.verify("|".join(parts), _published())
    assert verdict.status == ev.INVALID
    assert "signature" in verdict.reason or "time" in verdict.reason


def test_evidence_another_key_is_refused(world, keyring_restored):
    _txn, qr, _ = _committed(world)
    # a forger's key under the deployment's key id: invalid
    forged_ring = signing.Keyring(f"{signing.keyring().signer.kid}:{_seed()}")
    head = qr.rpartition("|")[0]
    forged = head + "|" + forged_ring.sign(head.encode())[1]
    assert ev.verify(forged, _published()).status == ev.INVALID
    # a key nobody published: unknown key (the page and the command say so)
    other = signing.Keyring(f"mallory:{_seed()}")
    head2 = head.rpartition("|")[0] + "|mallory"
    assert ev.verify(head2 + "|" + other.sign(head2.encode())[1], _published()).status == (
        ev.UNKNOWN_KEY
    )
    assert evidence.verify_text(forged).status == ev.INVALID


def test_evidence_cancelled_transaction_receipt_is_revoked(world):
    carnet = issue(world, items=2)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    txn, qr, result = _committed(world, "export", "ch", carnet=carnet, t=t)
    assert evidence.verify_text(qr, world.session).status == ev.VALID
    cancel_transaction(
        world.session, txn.id, world.officer("ch"), result.cancellation_code, "Wrong office"
    )
    world.session.commit()
    # online: the database knows
    assert evidence.verify_text(qr, world.session).status == ev.REVOKED
    # offline: the signed revocation list, downloaded, says so too
    keys = _published()
    listing = json.loads(json.dumps(evidence.revocation_list(world.session)))
    revoked = ev.load_revocations(listing, keys)
    verdict = ev.verify(qr, keys, revoked)
    assert verdict.status == ev.REVOKED and "cancelled" in verdict.reason
    # without the list, an offline verifier cannot know (docs/evidence.md says so)
    assert ev.verify(qr, keys).status == ev.VALID
    # a list with its entry removed no longer carries a valid signature: refused
    listing["revoked"] = []
    with pytest.raises(ValueError, match="revocation list refused"):
        ev.load_revocations(listing, keys)


def test_evidence_key_rotation_keeps_old_receipts_valid(world, keyring_restored):
    old_spec = f"k1:{_seed()}"
    signing.configure(old_spec)
    old_kid = signing.keyring().signer.kid
    _txn, old_qr, _ = _committed(world)
    # rotation: a new key signs from now on, the old one is still listed
    new_seed = _seed()
    signing.configure(f"k2:{new_seed},{old_spec}")
    carnet = issue(world, items=1)
    _txn2, new_qr, _ = _committed(world, carnet=carnet)
    assert "|k2|" in new_qr and f"|{old_kid}|" in old_qr
    assert ev.verify(old_qr, _published()).ok and ev.verify(new_qr, _published()).ok
    # retirement: only the old public key is kept, with its validity; still valid
    old_public = signing.Keyring(old_spec).keys[old_kid].public_b64()
    signing.configure(f"k2:{new_seed},{old_kid}:pub={old_public}:2020-01-01:2099-12-31")
    published = signing.keyring().published()
    assert {k["kid"]: k["status"] for k in published["keys"]} == {
        "k2": "signing",
        old_kid: "verify-only",
    }
    assert ev.verify(old_qr, _published()).ok
    # a key declared expired before the receipt's time does not cover it
    signing.configure(f"k2:{new_seed},{old_kid}:pub={old_public}:2020-01-01:2020-12-31")
    verdict = ev.verify(old_qr, _published())
    assert verdict.status == ev.INVALID and "not valid at" in verdict.reason


def test_evidence_signing_keys_are_checked_and_required_in_production():
    from portal.config import ConfigError, check_production

    with pytest.raises(signing.SigningKeyError):
        signing.Keyring("k1:c2hvcnQ=")  # not 32 bytes
    with pytest.raises(signing.SigningKeyError):
        signing.Keyring("k1:pub=" + _seed())  # no private key to sign with
    cfg = {
        "ENV_NAME": "production",
        "SECRET_KEY": "x" * 40,
        "DATA_KEYS": "p1:" + _seed(),
        "LOOKUP_KEY": "y" * 40,
        "EATA_SCHEME": "https",
        "MAIL_SERVER": "smtp.example.org",
        "DATABASE_URL": "postgresql+psycopg://eata@db/eata",
        "SIGNING_KEYS": "",
    }
    with pytest.raises(ConfigError, match="EATA_SIGNING_KEYS"):
        check_production(cfg)
    check_production({**cfg, "SIGNING_KEYS": "s1:" + _seed()})


def test_evidence_flask_receipts_verify_command(app, world, tmp_path):
    txn, qr, result = _committed(world)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["receipts", "verify", qr])
    assert ok.exit_code == 0 and ok.output.startswith("VALID"), ok.output
    path = tmp_path / "qr.txt"
    path.write_text(qr.replace("|CH|", "|BE|"))
    bad = runner.invoke(args=["receipts", "verify", str(path)])
    assert bad.exit_code == 1 and bad.output.startswith("INVALID")
    keys = runner.invoke(args=["receipts", "keys"])
    assert json.loads(keys.output)["keys"][0]["alg"] == "Ed25519"
    new = runner.invoke(args=["receipts", "new-key", "s2"])
    assert signing.Keyring(new.output.strip()).signer.kid == "s2"
