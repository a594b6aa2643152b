"""F-82 / F-83: the guides in the reader's language (portal/help/<lang>/<slug>.md, English the
fallback), with the English anchors so every screen's help link works in French and Spanish,
and searched in the reader's language first."""

from __future__ import annotations

import re

import pytest

from portal.domain.info import help as help_domain
from portal.domain.info import search
from portal.models import Account

SEARCH_HIT = re.compile(r'<li data-kind="(\w+)" lang="(\w+)">\s*(?:<a href="([^"]+)">)?')


def _speak(session, account_of, code: str, role: str, language: str) -> None:
    session.get(Account, account_of(code, role).id).language = language
    session.commit()


@pytest.mark.parametrize("language", ["fr", "es"])
def test_f82_every_guide_is_translated_with_the_english_sections(language):
    for slug in help_domain.GUIDES:
        english = help_domain.guide(slug, "en")
        translated = help_domain.guide(slug, language)
        assert translated.language == language, slug
        assert translated.title != english.title, slug
        assert [s.anchor for s in translated.sections] == [s.anchor for s in english.sections]
        assert [s.title for s in translated.sections] != [s.title for s in english.sections]


def test_f82_customs_guide_in_french_and_spanish(login_as, session, account_of):
    client = login_as("be", "officer")
    _speak(session, account_of, "be", "officer", "fr")
    index = client.get("/help").get_data(as_text=True)
    assert "utilisateur douanier" in index and 'lang="fr"' in index
    guide = client.get("/help/guides/customs").get_data(as_text=True)
    assert '<article class="markdown" lang="fr">' in guide
    assert "mainlevée" in guide and "réexportation" in guide and "volet" in guide
    assert 'id="new-transaction"' in guide  # the English anchor: the screens' help links work
    assert 'href="/help/guides/customs#the-home-page-and-the-search-bar"' in client.get(
        "/"
    ).get_data(as_text=True)
    _speak(session, account_of, "be", "officer", "es")
    guide = client.get("/help/guides/customs").get_data(as_text=True)
    assert "Guía del usuario aduanero" in guide and "levante" in guide and "hoja" in guide
    assert 'id="new-transaction"' in guide
    support = client.get("/help/guides/support").get_data(as_text=True)
    assert "Asistencia" in support and "[INCIDENT]" in support


def test_f82_wallet_guide_in_the_holders_language(holder_client, session):
    from portal.models import Holder

    session.get(Holder, holder_client.holder_id).language = "es"
    session.commit()
    page = holder_client.get("/info/help/guides/wallet").get_data(as_text=True)
    assert "Guía del monedero para titulares" in page and 'id="news"' in page


def test_f82_missing_translation_falls_back_to_english(tmp_path, monkeypatch):
    (tmp_path / "fr").mkdir()
    (tmp_path / "support.md").write_text("# Support\n\n## Who helps whom\n\nYour NGA.\n")
    (tmp_path / "fr" / "support.md").write_text("# Assistance\n\n## Qui aide qui\n\nVotre AGN.\n")
    (tmp_path / "customs.md").write_text("# Customs user guide\n\n## Logging in\n\nLog in.\n")
    monkeypatch.setattr(help_domain, "HELP_DIR", str(tmp_path))
    help_domain.guide.cache_clear()
    try:
        assert help_domain.guide("customs", "fr").language == "en"  # no French file
        assert help_domain.guide("support", "fr").title == "Assistance"
        assert help_domain.guide("support", "es").title == "Support"
        assert help_domain.guide("support", "../etc").language == "en"  # not a language
        (tmp_path / "fr" / "customs.md").write_text("# Guide\n\n## Un\n\n## Deux\n")
        help_domain.guide.cache_clear()
        with pytest.raises(ValueError):  # a translation must keep the English sections
            help_domain.guide("customs", "fr")
    finally:
        help_domain.guide.cache_clear()


def test_f82_guides_are_indexed_per_language_and_found_in_the_readers_first(
    login_as, session, account_of
):
    n = help_domain.index_guides(session)
    session.commit()
    sections = sum(len(help_domain.guide(s).sections) for s in help_domain.GUIDES)
    assert n == 3 * sections  # English, French and Spanish
    customs = ("customs", "all")
    fr = search.search(session, "mainlevée", language="fr", audiences=customs)
    assert fr and fr[0].language == "fr" and fr[0].ref == "customs#new-transaction"
    es = search.search(session, "levante", language="es", audiences=customs)
    assert es and es[0].language == "es" and es[0].ref == "customs#new-transaction"
    # "ATA" is in the guides of every language: each reader gets each section once, in their
    # language (every guide is translated), never its other languages' versions besides
    client = login_as("be", "officer")
    for language in ("fr", "es", "en"):
        _speak(session, account_of, "be", "officer", language)
        html = client.get("/search?q=ATA").get_data(as_text=True)
        hits = SEARCH_HIT.findall(html)
        guides = [(lang, url) for kind, lang, url in hits if kind == "guide"]
        assert guides and {lang for lang, _url in guides} == {language}
        assert len({url for _lang, url in guides}) == len(guides)
        assert guides[0][1].startswith("/help/guides/")


def test_f82_search_count_is_singular_for_one_result(login_as, session, account_of):
    help_domain.index_guides(session)
    session.commit()
    client = login_as("be", "officer")
    _speak(session, account_of, "be", "officer", "fr")
    page = client.get("/search?q=mainlevée").get_data(as_text=True)
    assert "1 résultat pour « mainlevée »." in page
    assert "Guide de l&#39;utilisateur douanier — Nouvelle opération" in page


def test_f82_faq_once_per_address_in_the_readers_language(login_as, session, account_of):
    for language, title in (("en", "Lost receipt?"), ("fr", "Reçu perdu ?")):
        help_domain.save_page(session, None, {"title": title, "slug": "lost-receipt",
                              "audience": "customs", "kind": "faq", "language": language})  # fmt: skip
    session.commit()
    client = login_as("be", "officer")
    _speak(session, account_of, "be", "officer", "fr")
    page = client.get("/help").get_data(as_text=True)
    assert '<details lang="fr"><summary>Reçu perdu ?' in page and "Lost receipt?" not in page
    _speak(session, account_of, "be", "officer", "es")  # no Spanish entry: the English one
    page = client.get("/help").get_data(as_text=True)
    assert '<details lang="en"><summary>Lost receipt?' in page and "Reçu perdu" not in page
