"""F-71 on the chamber portal: the itinerary advice for staff preparing an issue — the same
domain function and the same template partial as the wallet's page (one way)."""

from __future__ import annotations

import re


def test_f71_chamber_advice_page(chamber_client, client_for):
    r = chamber_client.get("/chamber/advice?departure=CH&destinations=TR")
    assert r.status_code == 200 and "Use case 4" in r.text
    assert 'id="advice-form"' in r.text and 'data-country="TR"' in r.text
    # the published list is on the wallet host: an absolute link there
    assert "http://wallet." in r.text and "/my/ata-status" in r.text
    r = chamber_client.get("/chamber/advice?departure=CH&destinations=FR&transits=TR")
    assert "Use case 6" in r.text and "twin carnets" in r.text
    # the same partial as the wallet's page: the same answer, the same table
    wallet = client_for("wallet").get(
        "/my/itinerary-advice?departure=CH&destinations=FR&transits=TR"
    )
    legs = re.compile(r'<tr data-country="\w+">.*?</tr>', re.S)
    assert legs.findall(wallet.text) == legs.findall(r.text)


def test_f71_chamber_advice_refusals_next_to_their_fields(chamber_client):
    r = chamber_client.get("/chamber/advice?departure=CH&destinations=AQ")
    assert r.status_code == 422
    assert re.search(r'id="destinations-error"[^>]*>[^<]*does not accept ATA carnets', r.text)
    r = chamber_client.get("/chamber/advice?departure=CH&destinations=FR&date=soon")
    assert r.status_code == 422 and 'id="date-error"' in r.text


def test_f71_chamber_pages_in_french_and_spanish(chamber_client):
    r = chamber_client.get(
        "/chamber/advice?departure=CH&destinations=TR", headers={"Accept-Language": "fr"}
    )
    assert r.status_code == 200 and '<html lang="fr">' in r.text
    assert "Quel carnet pour cet itinéraire ?" in r.text and "Conseil d&#39;itinéraire" in r.text
    r = chamber_client.get("/chamber/carnets", headers={"Accept-Language": "es"})
    assert "Número de cuaderno o identificador eATA" in r.text


def test_f71_chamber_advice_needs_a_login(client_for, demo):
    r = client_for("chamber").get("/chamber/advice?departure=CH&destinations=TR")
    assert r.status_code == 302 and r.headers["Location"].endswith("/chamber/login")
