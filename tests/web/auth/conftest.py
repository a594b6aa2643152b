"""Fixtures of the identity tests: a clock to travel in time and the mail outbox."""

from __future__ import annotations

import importlib

import pytest
from auth_helpers import CLOCK_MODULES, Clock, Outbox


@pytest.fixture
def clock(monkeypatch):
    """Time travel: clock.advance(minutes=31) moves "now" for sessions, tokens and MFA."""
    c = Clock()
    for name in CLOCK_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "now_utc", c.now)
    return c


@pytest.fixture
def outbox(app):
    return Outbox(app.config["MAIL_OUTBOX_DIR"])
