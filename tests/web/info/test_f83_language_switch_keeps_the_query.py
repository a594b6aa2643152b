"""F-83: the language switch goes back to the page it was on with its query string — the search
page comes back with its search, in the new language (customs portal and wallet: one switch)."""

from __future__ import annotations

import html as html_lib
import re

NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


def _next_of(page: str) -> str:
    found = NEXT.search(page)
    assert found, "no language switch on the page"
    return html_lib.unescape(found.group(1))


def test_f83_customs_switch_keeps_the_search(login_as):
    officer = login_as("be", "officer")
    page = officer.get("/search?q=ATA+carnet&x=1").get_data(as_text=True)
    back = _next_of(page)
    assert back == "/search?q=ATA+carnet&x=1"
    switched = officer.post("/language", data={"language": "fr", "next": back})
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith("/search?q=ATA+carnet&x=1")
    again = officer.get(switched.headers["Location"]).get_data(as_text=True)
    assert 'lang="fr"' in again and 'value="ATA carnet"' in again
    # a page without a query goes back to its bare path; another host is never a way back
    assert _next_of(officer.get("/help").get_data(as_text=True)) == "/help"
    off_site = officer.post("/language", data={"language": "en", "next": "//evil.example/?q=1"})
    assert "evil.example" not in off_site.headers["Location"]


def test_f83_wallet_switch_keeps_the_search(holder_client):
    page = holder_client.get("/info/search?q=wallet").get_data(as_text=True)
    back = _next_of(page)
    assert back == "/info/search?q=wallet"
    switched = holder_client.post("/my/language", data={"language": "es", "next": back})
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith("/info/search?q=wallet")
