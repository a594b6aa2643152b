"""F-83 at the desk: the officer's five steps and a refusal in French and in Spanish, the
language switch stored on the account, the administration's default language, the browser's
language before login, and times in the office's time zone with the zone named."""

import datetime as dt
import html
import zoneinfo

import pytest
from sqlalchemy import select

from portal.models import Account, CustomsAdministration, Office


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def _speak(world, account_id: int, lang: str | None) -> None:
    account = world.session.get(Account, account_id)
    account.language = lang
    world.session.commit()


STEPS = {
    "fr": {
        "lang": 'lang="fr"',
        1: "1. Scanner le code de l'opération",
        2: "2. Contrôler le carnet",
        3: "3. Contrôler les marchandises",
        4: "4. Enregistrer : exportation",
        5: "5. Récépissé : exportation — opération enregistrée",
        "menu": "Dernières opérations",
        "refusal": "ne peut pas dépasser la validité du carnet",
        "print": "Imprimer le récépissé",
        "scanner": 'data-read="Code QR lu : recherche du carnet…"',
    },
    "es": {
        "lang": 'lang="es"',
        1: "1. Escanear el código de la operación",
        2: "2. Comprobar el cuaderno",
        3: "3. Comprobar las mercancías",
        4: "4. Registrar: exportación",
        5: "5. Justificante: exportación — operación registrada",
        "menu": "Últimas operaciones",
        "refusal": "no puede ser posterior a la validez del cuaderno",
        "print": "Imprimir el justificante",
        "scanner": 'data-read="Código QR leído: buscando el cuaderno…"',
    },
}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_f83_officer_five_steps_and_a_refusal_in_the_chosen_language(kit, desk, world, lang):
    words = STEPS[lang]
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    _speak(world, d.officer.account.id, lang)

    step1 = _text(d.client.get("/transactions/new"))
    assert words["lang"] in step1 and words[1] in step1 and words["menu"] in step1
    assert "Scan the transaction code" not in step1 and "Last transactions" not in step1
    # the camera scanner's messages (written by scan.js) come in the page's language too
    assert words["scanner"] in step1 and "looking up the carnet" not in step1
    step2_url, step3_url, step4_url = d.steps(d.start(voucher))
    step2 = _text(d.client.get(step2_url))
    assert words[2] in step2 and carnet.carnet_number in step2
    step3 = _text(d.client.get(step3_url))
    assert words[3] in step3 and "Check the goods" not in step3
    step4 = _text(d.client.get(step4_url))
    assert words[4] in step4 and "Commit the" not in step4

    # the engine's refusal in the officer's language, next to its field
    refused = d.commit(step4_url, {"final_date": "2999-01-01"})
    body = _text(refused)
    assert refused.status_code == 422 and 'id="final_date-error"' in body
    assert words["refusal"] in body and "cannot be later than" not in body
    assert kit.transactions(voucher) == []

    r = d.commit(step4_url, {"final_date": carnet.valid_until.isoformat()})
    assert r.status_code == 303, _text(r)[-2000:]
    receipt = _text(d.client.get(r.headers["Location"]))
    assert words[5] in receipt and words["print"] in receipt and "Print receipt" not in receipt


def test_f83_english_stays_the_default(kit, desk):
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    page = _text(d.client.get("/transactions/new"))
    assert 'lang="en"' in page and "1. Scan the transaction code" in page


def test_f83_language_switch_is_stored_on_the_account_and_changes_the_next_page(desk, world):
    d = desk("be")
    account_id = d.officer.account.id
    r = d.client.post("/language", data={"language": "fr", "next": "/holds"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/holds")
    world.session.expire_all()
    assert world.session.get(Account, account_id).language == "fr"
    page = _text(d.client.get("/holds"))
    assert 'lang="fr"' in page and "<h1>Retenus</h1>" in page
    assert "Le portail est désormais en français." in page  # the confirmation, in French
    # the switch itself: the current language marked, every language named in itself
    assert 'value="fr" lang="fr"' in page and "Español" in page and 'aria-current="true"' in page
    d.client.post("/language", data={"language": "es"})
    assert "<h1>Retenidos</h1>" in _text(d.client.get("/holds"))
    world.session.expire_all()
    assert world.session.get(Account, account_id).language == "es"


def test_f83_language_switch_refuses_an_unknown_language_a_missing_token_and_strangers(
    desk, world, client_for
):
    d = desk("be")
    account_id = d.officer.account.id
    assert d.client.post("/language", data={"language": "de"}).status_code == 400
    assert d.client.post("/language", data={"language": "fr"}, csrf=False).status_code == 400
    off_site = d.client.post("/language", data={"language": "fr", "next": "//evil.example/"})
    assert off_site.status_code == 303 and "evil.example" not in off_site.headers["Location"]
    anonymous = client_for("customs", "be").post("/language", data={"language": "es"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    world.session.expire_all()
    assert world.session.get(Account, account_id).language == "fr"  # only the valid post


def test_f83_administration_default_language_and_the_browser_before_login(desk, world, client_for):
    d = desk("be")
    _speak(world, d.officer.account.id, None)
    admin = world.session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == "be")
    )
    admin.language = "es"
    world.session.commit()
    # an account without a choice follows its administration's default
    assert "<h1>Retenidos</h1>" in _text(d.client.get("/holds"))
    # before login: the browser's language among the shipped ones, else the administration's
    login = client_for("customs", "be")
    assert 'lang="fr"' in login.get(
        "/login", headers={"Accept-Language": "fr-BE,fr;q=0.9"}
    ).get_data(as_text=True)
    assert 'lang="es"' in login.get("/login", headers={"Accept-Language": "de-DE"}).get_data(
        as_text=True
    )
    admin.language = "en"
    world.session.commit()


def test_f83_admin_sets_the_default_language_in_settings(login_as, world):
    c = login_as("be", "admin")
    r = c.post("/admin/settings", data={"language": "fr", "invitation_days": "14"})
    assert r.status_code == 303
    admin = world.session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == "be")
    )
    world.session.refresh(admin)
    assert admin.language == "fr"
    refused = c.post("/admin/settings", data={"language": "xx", "invitation_days": "14"})
    assert refused.status_code == 422
    world.session.refresh(admin)
    assert admin.language == "fr"
    admin.language = "en"
    world.session.commit()


def test_f83_same_transaction_in_a_brussels_and_a_tokyo_office(kit, desk, world):
    """Stored in UTC; each officer reads it in their office's zone, the zone named."""
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    step4 = d.steps(d.start(voucher))[2]
    assert d.commit(step4, {"final_date": carnet.valid_until.isoformat()}).status_code == 303
    txn = kit.transactions(voucher)[0]  # committed_at: naive UTC, as stored
    brussels_office = world.session.get(Office, d.officer.office.id)
    brussels_office.timezone = "Europe/Brussels"
    tokyo_office = world.session.get(Office, world.others[cc].office.id)
    tokyo_office.timezone = "Asia/Tokyo"
    world.session.commit()
    assert brussels_office.id != tokyo_office.id

    account = world.session.get(Account, d.officer.account.id)
    account.office_id = brussels_office.id
    world.session.commit()
    in_brussels = _text(d.client.get(f"/transactions/{txn.id}/receipt"))
    account.office_id = tokyo_office.id  # the officer now works from the Tokyo office
    world.session.commit()
    in_tokyo = _text(d.client.get(f"/transactions/{txn.id}/receipt"))
    utc = txn.committed_at.replace(tzinfo=dt.UTC)
    brussels = utc.astimezone(zoneinfo.ZoneInfo("Europe/Brussels"))
    tokyo = utc.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert brussels.tzname() in ("CET", "CEST") and tokyo.tzname() == "JST"
    assert brussels.strftime("%d/%m/%Y, %H:%M ") + brussels.tzname() in in_brussels
    assert tokyo.strftime("%d/%m/%Y, %H:%M JST") in in_tokyo
    assert "JST" not in in_brussels and brussels.tzname() not in in_tokyo
