"""F-80 … F-82 without logging in: help, FAQ, guides, the directory of NGAs and chambers, news
for everyone and the search over them open on the customs portal and in the wallet — someone
locked out needs them most — and show nothing that is for a signed-in audience only: no
customs office (each administration's data), no news for customs or holders. Signed-in readers
keep what they see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.db import now_utc
from portal.domain.info import help as help_domain
from portal.domain.info import news
from portal.models import NewsRead, Office


@pytest.fixture
def texts(session, demo):
    """News for each audience, FAQ for holders, customs and everyone, an NGA with a chamber,
    the guides indexed for search."""
    from portal.domain.api_clients import create_issuing_association, create_nga
    from portal.domain.info import directory

    now = now_utc()

    def add(title, audience):
        return news.save_news(session, None, title=title, body=f"{title} zebra", audience=audience,
                              language="en", publish_at=now - dt.timedelta(days=1),
                              expires_at=None)  # fmt: skip

    made = {a: add(f"News for {a}", a) for a in ("customs", "holders", "chambers", "all")}
    for audience, slug, title in (
        ("holders", "lost-phone", "I lost my authenticator app"),
        ("customs", "scan-fails", "The QR code does not scan"),
        ("all", "report-incident", "How do I report an incident?"),
    ):
        help_domain.save_page(session, None, {"title": title, "slug": slug, "audience": audience,
                              "kind": "faq", "language": "en", "body": "Ask zebra."})  # fmt: skip
    nga = create_nga(session, "BE", "Public NGA (t)", email="nga@public.test")
    create_issuing_association(session, nga, "Public chamber (t)", email="ia@public.test")
    help_domain.index_guides(session)
    directory.reindex(session)
    session.commit()
    return made


def _offices(session) -> list[Office]:
    return list(session.scalars(select(Office).execution_options(all_tenants=True)))


def _reads(session) -> int:
    return session.scalar(select(func.count()).select_from(NewsRead))


def test_f82_anonymous_wallet_help_has_the_holders_faq(client_for, texts, session):
    wallet = client_for("wallet")
    page = wallet.get("/info/help")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "I lost my authenticator app" in html and "How do I report an incident?" in html
    assert "The QR code does not scan" not in html  # the customs FAQ stays on the customs site
    assert "Wallet guide" in html and "Customs user guide" not in html
    assert wallet.get("/info/help/guides/wallet").status_code == 200
    assert wallet.get("/info/help/lost-phone").status_code == 200
    assert wallet.get("/info/help/guides/customs").status_code == 404
    assert wallet.get("/info/help/scan-fails").status_code == 404
    # the layout of someone not logged in: log in, register, the public pages; no wallet menu
    assert 'href="/my/login"' in html and 'href="/info/news"' in html
    assert ">Carnets<" not in html and "Log out" not in html


def test_f82_anonymous_customs_help_has_the_customs_guide_and_faq(client_for, texts):
    customs = client_for("customs", "be")
    html = customs.get("/help").get_data(as_text=True)
    assert "Customs user guide" in html and "The QR code does not scan" in html
    assert "I lost my authenticator app" not in html
    assert customs.get("/help/guides/customs").status_code == 200
    assert customs.get("/help/guides/wallet").status_code == 404
    # the public menu and a way to log in; none of the desk's entries
    assert 'href="/login"' in html
    for entry in ('href="/news"', 'href="/directory"', 'href="/search"'):
        assert entry in html
    assert "New transaction" not in html and "Logs" not in html


def test_f80_anonymous_news_only_for_everyone(client_for, texts, session):
    for client, prefix in ((client_for("wallet"), "/info"), (client_for("customs", "be"), "")):
        page = client.get(f"{prefix}/news")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "News for all" in html
        for private in ("News for customs", "News for holders", "News for chambers"):
            assert private not in html
        assert "data-unread" not in html  # nobody to have read it
        for private in ("customs", "holders", "chambers"):
            assert client.get(f"{prefix}/news/{texts[private].id}").status_code == 404
        before = _reads(session)
        item = client.get(f"{prefix}/news/{texts['all'].id}")
        assert item.status_code == 200 and "News for all" in item.get_data(as_text=True)
        assert _reads(session) == before  # no read marker for nobody


def test_f81_anonymous_directory_lists_ngas_and_chambers_not_offices(client_for, texts, session):
    offices = _offices(session)
    assert offices
    for client, prefix in ((client_for("customs", "be"), ""), (client_for("wallet"), "/info")):
        page = client.get(f"{prefix}/directory")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Public NGA (t)" in html and "Public chamber (t)" in html
        assert "nga@public.test" in html
        for office in offices:
            assert office.name not in html
        assert "/directory/map" not in html
    customs = client_for("customs", "be")
    # the map and the offices' pages stay behind the login
    assert customs.get("/directory/map").status_code == 302
    assert customs.get(f"/directory/offices/{offices[0].id}").status_code == 302


def test_f82_anonymous_search_finds_only_public_texts(client_for, texts, session):
    """ "zebra" is in every news and FAQ; an office is found by its name when signed in."""
    office = _offices(session)[0]
    wallet = client_for("wallet")
    html = wallet.get("/info/search?q=zebra").get_data(as_text=True)
    assert "News for all" in html and "I lost my authenticator app" in html
    for private in ("News for customs", "News for holders", "News for chambers",
                    "The QR code does not scan"):  # fmt: skip
        assert private not in html
    customs = client_for("customs", "be")
    html = customs.get("/search?q=zebra").get_data(as_text=True)
    assert "News for all" in html and "The QR code does not scan" in html
    assert "News for customs" not in html and "I lost my authenticator app" not in html
    word = office.name.split()[0]
    found = customs.get(f"/search?q={word}").get_data(as_text=True)
    assert 'data-kind="office"' not in found and "Public NGA" not in found
    assert "Public NGA (t)" in customs.get("/search?q=Public").get_data(as_text=True)


def test_f80_f82_signed_in_readers_keep_their_audience(login_as, holder_client, texts, session):
    office = _offices(session)[0]
    officer = login_as("be", "officer")
    html = officer.get("/search?q=zebra").get_data(as_text=True)
    assert "News for customs" in html and "News for all" in html
    assert office.name in officer.get("/directory").get_data(as_text=True)
    assert 'href="/directory/map"' in officer.get("/directory").get_data(as_text=True)
    assert "New transaction" in officer.get("/help").get_data(as_text=True)  # the desk's menu
    word = office.name.split()[0]
    assert 'data-kind="office"' in officer.get(f"/search?q={word}").get_data(as_text=True)
    wallet = holder_client.get("/info/news").get_data(as_text=True)
    assert "News for holders" in wallet and "data-unread" in wallet
    assert ">Carnets<" in wallet


def test_f82_a_locked_wallet_still_reads_the_help(holder_client, texts, session):
    """The wallet PIN guards the carnets, not the help: a locked wallet (or a forgotten PIN)
    opens the help and the holders' news; the carnets still ask for the PIN."""
    from portal.models import HolderSession

    session.get(HolderSession, holder_client.session_id).unlocked_at = None
    session.commit()
    assert holder_client.get("/my/carnets").status_code == 302
    page = holder_client.get("/info/help")
    assert page.status_code == 200
    assert "I lost my authenticator app" in page.get_data(as_text=True)
    assert "News for holders" in holder_client.get("/info/news").get_data(as_text=True)


def test_f82_wallet_login_steps_link_to_the_public_help(client_for, texts):
    wallet = client_for("wallet")
    html = wallet.get("/my/login").get_data(as_text=True)
    assert 'href="/info/help#faq"' in html
    top = re.search(r'<a href="([^"]+)" class="help-link" data-help>', html)
    assert top and top.group(1) == "/info/help/guides/wallet#logging-in"
    guide = wallet.get(top.group(1).split("#")[0])
    assert guide.status_code == 200 and 'id="logging-in"' in guide.get_data(as_text=True)
    assert "I lost my authenticator app" in wallet.get("/info/help").get_data(as_text=True)
