"""`flask receipts verify / keys / new-key / revocations` and `flask audit verify /
checkpoint`: the signed evidence (docs/evidence.md)."""

from __future__ import annotations

import json
import os
import sys

import click
from flask.cli import AppGroup

from portal.extensions import db

receipts_cli = AppGroup("receipts", help="Signed receipts and statements (docs/evidence.md).")
audit_cli = AppGroup("audit", help="The hash-chained audit trail (docs/evidence.md).")


@receipts_cli.command("verify")
@click.argument("subject")
@click.option("--offline", is_flag=True, help="Do not ask the database about cancellations.")
def receipts_verify(subject: str, offline: bool) -> None:
    """Verify a receipt's or statement's QR text (or a FILE holding it) with the published
    keys: valid, invalid, revoked (cancelled) or unknown key. Exit status 0 only when valid."""
    from portal.domain import evidence

    text = subject
    if os.path.isfile(subject):
        with open(subject, encoding="utf-8") as fh:
            text = fh.read()
    if offline:
        verdict = evidence.verify_text(text)
    else:
        with db.new_session() as session:
            verdict = evidence.verify_text(text, session)
    click.echo(f"{verdict.status.upper()}: {verdict.reason}")
    for name in ("carnet_number", "eata_id", "kind", "office", "country", "time", "lines"):
        if name in verdict.fields:
            click.echo(f"  {name}: {verdict.fields[name]}")
    if not verdict.ok:
        sys.exit(1)


@receipts_cli.command("keys")
def receipts_keys() -> None:
    """Print the published keys document (what /.well-known/eata-receipt-keys.json serves)."""
    from portal.domain import signing

    click.echo(json.dumps(signing.keyring().published(), indent=2))


@receipts_cli.command("new-key")
@click.argument("kid")
@click.option("--from", "not_before", type=click.DateTime(["%Y-%m-%d"]), default=None)
def receipts_new_key(kid: str, not_before) -> None:
    """Print a fresh signing key entry to put first in EATA_SIGNING_KEYS."""
    from portal.domain import signing

    try:
        click.echo(signing.new_key_spec(kid, not_before.date() if not_before else None))
    except signing.SigningKeyError as error:
        raise click.ClickException(str(error)) from None


@receipts_cli.command("revocations")
def receipts_revocations() -> None:
    """Print the signed list of cancelled receipts (for offline verifiers)."""
    from portal.domain import evidence

    with db.new_session() as session:
        click.echo(json.dumps(evidence.revocation_list(session), indent=2))


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk every audit chain and its signed checkpoints; name the first broken link of each
    chain (exit status 1 when one is found)."""
    from portal.domain import audit_chain

    with db.new_session() as session:
        report = audit_chain.verify(session)
    click.echo(
        f"{report.events} events in {report.chains} chains, {report.checkpoints} checkpoints"
        + (f", {report.unchained} older events before chaining" if report.unchained else "")
    )
    for brk in report.breaks:
        click.echo(f"BROKEN: {brk}")
    if not report.ok:
        sys.exit(1)
    click.echo("OK: every chain is intact")


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the heads of every audit chain now (the scheduler does it hourly)."""
    from portal.domain import audit_chain

    with db.new_session() as session:
        cp = audit_chain.checkpoint(session)
        session.commit()
        if cp is None:
            click.echo("nothing new since the last checkpoint")
        else:
            click.echo(f"checkpoint {cp.id}: {len(cp.heads)} chains, signed {cp.signature[:20]}…")
