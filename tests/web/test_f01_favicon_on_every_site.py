"""F-01: every site (customs, wallet, API, operator console, chamber portal) answers its icon
at /favicon.ico — a file of portal/static, nothing fetched from elsewhere — and the pages link
it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "kind, code", [("customs", "be"), ("wallet", None), ("api", None), ("ops", None),
                   ("chamber", None)]
)  # fmt: skip
def test_f01_every_site_serves_its_icon(client_for, demo, kind, code):
    response = client_for(kind, code).get("/favicon.ico")
    try:
        assert response.status_code == 200
        assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    finally:
        response.close()


def test_f01_pages_link_the_icon(client_for, demo):
    for kind, code, path in (("customs", "be", "/login"), ("wallet", None, "/my/login")):
        page = client_for(kind, code).get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.ico"' in page
    static = client_for("customs", "be").get("/static/favicon.ico")
    static.close()
    assert static.status_code == 200


def test_f01_an_unknown_host_still_has_no_pages(app):
    assert app.test_client().get("/login", base_url="http://nowhere.example").status_code == 404
