"""F-10: the login's and re-authentication's `next` target stays on the site. Browsers drop tabs
and newlines from a URL ("/\t/evil.example" is "//evil.example" to them, another site), so a
target with control characters is never followed off the site (no open redirect)."""

from __future__ import annotations

import pytest
from auth_helpers import DEMO_PASSWORD

from portal.domain.demo import demo_email

OFFICER = demo_email("be", "officer")


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/x",
        "/\n/evil.example/x",
        "/\r/evil.example",
        "/ /evil.example",
        "/\x00/evil.example",
    ],
)
def test_f10_login_next_with_control_characters_never_leaves_the_site(client_for, demo, target):
    client = client_for("customs", "be")
    r = client.post(
        "/login", query_string={"next": target}, data={"email": OFFICER, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 303
    assert "evil" not in r.location
    assert r.location.endswith("/")


def test_f12_reauth_next_with_a_tab_never_leaves_the_site(login_as, demo):
    client = login_as("be", "officer")
    r = client.post(
        "/account/confirm-password",
        query_string={"next": "/\t/evil.example/x"},
        data={"password": DEMO_PASSWORD},
    )
    assert r.status_code == 303 and "evil" not in r.location
