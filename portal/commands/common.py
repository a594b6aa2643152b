"""What the command modules share."""

from __future__ import annotations

from typing import NoReturn

import click


def fail(error) -> NoReturn:
    """Stop the command with the DomainError's message (exit status 1)."""
    raise click.ClickException(error.message)
