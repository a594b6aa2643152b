import pytest
from sqlalchemy import text

from portal.domain import signing


@pytest.fixture
def keyring_restored(app):
    """Tests that reconfigure the signing keys get the application's keys back afterwards."""
    saved = signing._keyring
    yield
    signing._keyring = saved


def bypass_triggers(session) -> None:
    """What someone with the database's superuser could do: switch the PostgreSQL triggers off
    for this transaction (the attacker `audit verify` must catch). Nothing to do on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
