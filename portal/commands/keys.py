"""`flask keys new / rotate`: the data keys of the encryption at rest (EATA_DATA_KEYS)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

keys_cli = AppGroup("keys", help="Data keys of the encryption at rest (EATA_DATA_KEYS).")


@keys_cli.command("new")
@click.argument("kid")
def keys_new(kid) -> None:
    """Print a fresh data key entry KID:base64 to put first in EATA_DATA_KEYS."""
    from portal.domain.crypto import new_key_spec

    click.echo(new_key_spec(kid))


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every carnet with the first key of EATA_DATA_KEYS (the others must still be
    listed until this has run)."""
    from portal.domain import crypto
    from portal.domain.carnets import rotate_keys

    with db.new_session() as session:
        counts = rotate_keys(session)
    click.echo(
        f"re-encrypted under {crypto.keyring().primary}: "
        + ", ".join(f"{k}: {v}" for k, v in counts.items())
    )
