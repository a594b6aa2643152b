import pytest

from tests.unit.engine.factory import make_world


@pytest.fixture
def world(app, session):
    return make_world(session)
