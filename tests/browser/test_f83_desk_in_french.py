"""F-83 in a real browser: an officer who chose French goes through the five steps of the
wizard and meets a refusal, every step in French; the htmx swaps keep the language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Account
from tests.browser.test_f40_customs_desk import _log_in, _voucher

pytestmark = pytest.mark.browser


def test_f83_officer_five_steps_and_a_refusal_in_french(app, world, browser, live_server):
    carnet, voucher = _voucher(world)
    account = world.session.get(Account, world.officer("ch").account.id)
    account.language = "fr"
    world.session.commit()
    context = browser.new_context(locale="en-GB", timezone_id="UTC")  # the account decides
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(app, context, live_server, account)
    page.goto(live_server.url("customs", "ch", "/transactions/new"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("heading", name="1. Scanner le code de l'opération").wait_for()
    page.get_by_label("ID eATA ou numéro du carnet").fill(str(carnet.eata_id))
    # a wrong code first: refused in French, next to the field
    page.get_by_label("Code de l'opération").fill("AAAA-AAAA-AAAA-A")
    page.get_by_role("button", name="Rechercher le carnet").click()
    page.locator("#code-error").wait_for()
    assert "Scan the transaction code" not in page.locator("#step h1").inner_text()
    from portal.domain.vouchers import code_of

    page.get_by_label("Code de l'opération").fill(code_of(voucher))
    page.get_by_role("button", name="Rechercher le carnet").click()
    page.get_by_role("heading", name="2. Contrôler le carnet").wait_for()
    expect(page.locator("#carnet-panel")).to_contain_text("Titulaire")
    page.get_by_role("button", name="Suivant : contrôle des marchandises").click()
    page.get_by_role("heading", name="3. Contrôler les marchandises").wait_for()
    page.get_by_role("button", name="Suivant : enregistrement").click()
    page.get_by_role("heading", name="4. Enregistrer : validation").wait_for()
    # the engine's refusal (a validation needs its answer) in French, next to its field
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#goods_examined-error")).to_contain_text(
        "Indiquez si les marchandises ont été examinées"
    )
    page.get_by_label("Oui").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_role("heading", name="5. Récépissé : validation — opération enregistrée").wait_for()
    expect(page.get_by_role("button", name="Imprimer le récépissé")).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("Contrôle des marchandises")
    context.close()
