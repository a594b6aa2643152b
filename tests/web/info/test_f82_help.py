"""F-82 Help: the customs, wallet and chamber guides as pages, the FAQ and help pages the
operator writes (rendered safely), support and how to report, a help link on every screen."""

from __future__ import annotations

import re

from portal.domain.info import help as help_domain


def test_f82_customs_help_lists_guides_faq_and_support(login_as, session):
    help_domain.save_page(
        session,
        None,
        {"title": "Scanner trouble", "body": "Try <script>x()</script>**again**",
         "audience": "customs", "kind": "faq"},
    )  # fmt: skip
    help_domain.save_page(
        session, None, {"title": "Holders only", "body": "x", "audience": "holders", "kind": "faq"}
    )
    session.commit()
    client = login_as("be", "officer")
    page = client.get("/help").get_data(as_text=True)
    assert "Customs user guide" in page and "Support" in page
    assert "Wallet guide" not in page  # the holders' guide is not on the customs portal
    assert "Scanner trouble" in page and "<strong>again</strong>" in page
    assert "<script>x()" not in page and "Holders only" not in page
    guide = client.get("/help/guides/customs").get_data(as_text=True)
    assert 'id="new-transaction"' in guide and 'id="directory"' in guide
    assert client.get("/help/guides/wallet").status_code == 404
    assert client.get("/help/guides/nothing").status_code == 404
    support = client.get("/help/guides/support").get_data(as_text=True)
    for tag in ("[QUESTION]", "[INCIDENT]", "[FEATURE]"):
        assert tag in support


def test_f82_every_screen_links_to_its_help(login_as, holder_client):
    client = login_as("be", "admin")
    expected = {
        "/": "/help/guides/customs#the-home-page-and-the-search-bar",
        "/admin/offices": "/help/guides/customs#admins-offices-and-regions",
        "/admin/accounts": "/help/guides/customs#admins-accounts-and-bulk-creation",
        "/directory": "/help/guides/customs#directory",
        "/news": "/help/guides/customs#news",
    }
    for path, link in expected.items():
        html = client.get(path).get_data(as_text=True)
        assert f'href="{link}"' in html, path
        anchor = link.split("#")[1]
        assert f'id="{anchor}"' in client.get(link.split("#")[0]).get_data(as_text=True)
    wallet = holder_client.get("/info/news").get_data(as_text=True)
    assert 'href="/info/help/guides/wallet#news"' in wallet
    assert 'id="news"' in holder_client.get("/info/help/guides/wallet").get_data(as_text=True)


def test_f82_every_help_rule_points_at_a_real_section():
    from portal.blueprints.info.helplinks import CUSTOMS, WALLET

    for _prefix, slug, anchor in CUSTOMS + WALLET:
        guide = help_domain.guide(slug)
        assert guide is not None
        assert not anchor or anchor in {s.anchor for s in guide.sections}, (slug, anchor)


def test_f82_login_page_links_to_the_public_help(client_for, demo):
    """Someone who cannot log in (a lost authenticator app) finds the help from the login
    page: the top bar's link to the guide's "Logging in" and the link to the FAQ both open."""
    client = client_for("customs", "be")
    html = client.get("/login").get_data(as_text=True)
    top = re.search(r'<a href="([^"]+)" class="help-link" data-help>', html)
    assert top and top.group(1) == "/help/guides/customs#logging-in"
    assert 'href="/help#faq"' in html
    guide = client.get("/help/guides/customs")
    assert guide.status_code == 200 and 'id="logging-in"' in guide.get_data(as_text=True)
    assert client.get("/help").status_code == 200


def test_f82_operator_writes_faq(operator_client, session, login_as):
    c = operator_client
    response = c.post(
        "/console/help-pages/new",
        data={"csrf_token": c.csrf_token(), "title": "Where is my receipt?", "slug": "",
              "kind": "faq", "audience": "customs", "language": "en", "body": "In *Last*."},
    )  # fmt: skip
    assert response.status_code == 303
    bad = c.post(
        "/console/help-pages/new",
        data={"csrf_token": c.csrf_token(), "title": "Bad", "slug": "no spaces!",
              "kind": "faq", "audience": "customs", "language": "en", "body": ""},
    )  # fmt: skip
    assert bad.status_code == 422
    html = login_as("be", "officer").get("/help").get_data(as_text=True)
    assert "Where is my receipt?" in html and "<em>Last</em>" in html
    assert re.search(r"Where is my receipt", html)
