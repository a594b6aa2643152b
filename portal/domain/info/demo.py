"""Demo information (`flask demo load`): news for each audience, the NGAs and chambers of the
demo with contact details, FAQ entries, a demo operator, and the search index of the guides
and the directory (the demo offices have coordinates, so they are on the map)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain.api_clients import Actor, create_issuing_association, create_nga
from portal.domain.demo import DEMO_PASSWORD
from portal.domain.info import directory, help, news, operators
from portal.models import NGA, HelpPage, NewsItem, Operator

DEMO_OPERATOR_EMAIL = "operator@ops.demo"

NGAS: list[tuple[str, str, dict[str, Any], list[tuple[str, dict[str, Any]]]]] = [
    (
        "BE",
        "FEB ATA (demo)",
        {"street": "Rue Ravenstein 4", "postal_code": "1000", "city": "Bruxelles",
         "email": "ata@feb.demo", "phone": "+32 2 515 08 11", "website": "https://feb.demo"},
        [("Chambre de commerce de Bruxelles (demo)",
          {"street": "Avenue Louise 500", "postal_code": "1050", "city": "Bruxelles",
           "email": "carnets@ccib.demo", "phone": "+32 2 648 50 02"})],
    ),
    (
        "FR",
        "CCI France ATA (demo)",
        {"street": "8-10 rue Pierre Brossolette", "postal_code": "92300",
         "city": "Levallois-Perret", "email": "ata@cci-france.demo", "phone": "+33 1 40 69 37 00",
         "website": "https://cci-france.demo"},
        [("CCI Paris Île-de-France (demo)",
          {"street": "2 place de la Bourse", "postal_code": "75002", "city": "Paris",
           "email": "carnets@cci-paris.demo", "phone": "+33 1 55 65 55 65"}),
         ("CCI Lyon Métropole (demo)",
          {"street": "Place de la Bourse", "postal_code": "69002", "city": "Lyon",
           "email": "carnets@lyon.demo", "phone": "+33 4 72 40 58 58"})],
    ),
    (
        "CH",
        "Chambres de commerce suisses ATA (demo)",
        {"street": "Hegibachstrasse 47", "postal_code": "8032", "city": "Zürich",
         "email": "ata@cci.demo", "phone": "+41 44 217 40 50", "website": "https://cci.demo"},
        [("Chambre de commerce de Genève (demo)",
          {"street": "Boulevard du Théâtre 4", "postal_code": "1204", "city": "Genève",
           "email": "carnets@ccig.demo", "phone": "+41 22 819 91 11"})],
    ),
]  # fmt: skip

# (audience, language, days ago, title, body); the items of one inner list are one news in
# several languages (the first written first, the others its versions)
NEWS = [
    [("all", "en", 2, "eATA demo is open",
      "The demonstration platform is open. Try the **customs desk**, the wallet and the NICS "
      "API with the demo accounts.\n\nSee the [help](/help) for the guides.")],
    [("customs", "en", 1, "New: the directory map of customs offices",
      "Every office with coordinates now appears on the **directory map**. Admins: give your "
      "offices their latitude and longitude in *Offices*."),
     ("customs", "fr", 1, "Nouveau : la carte des bureaux de douane",
      "Chaque bureau avec ses coordonnées apparaît désormais sur la **carte de l'annuaire**."),
     ("customs", "es", 1, "Nuevo: el mapa de las aduanas",
      "Cada oficina con coordenadas aparece ahora en el **mapa del directorio**.")],
    [("holders", "en", 1, "Pre-declare your arrival at the border",
      "You can now announce your arrival at a customs office from the wallet: open a travel "
      "and choose *Pre-declare*."),
     ("holders", "fr", 1, "Prédéclarez votre arrivée à la frontière",
      "Vous pouvez désormais annoncer votre arrivée à un bureau de douane depuis le "
      "portefeuille : ouvrez un voyage et envoyez une **prédéclaration**."),
     ("holders", "es", 1, "Anuncie su llegada a la frontera",
      "Ya puede anunciar su llegada a una aduana desde el monedero: abra un viaje y envíe una "
      "**declaración previa**.")],
    [("chambers", "en", 3, "Sandbox of the NICS API",
      "The NICS API documentation lists the digital and paper countries; test your "
      "integration with a demo API client.")],
]  # fmt: skip

# (audience, address, language, title, body): each entry in English, French and Spanish
FAQ = [
    ("customs", "scan-fails", "en", "The QR code does not scan: what can I do?",
     "Type the voucher code shown under the QR code in *New transaction*. Check that the "
     "camera is allowed for the portal in the browser."),
    ("customs", "scan-fails", "fr", "Le code QR ne se scanne pas : que faire ?",
     "Saisissez le code du volet affiché sous le code QR dans *Nouvelle opération*. Vérifiez "
     "que le navigateur autorise la caméra pour le portail."),
    ("customs", "scan-fails", "es", "El código QR no se escanea: ¿qué hago?",
     "Teclee el código de la hoja que aparece bajo el código QR en *Nueva operación*. "
     "Compruebe que el navegador permite la cámara para el portal."),
    ("customs", "wrong-office", "en", "I am at another office today",
     "Change your default office from the menu at the top right (*My default office*)."),
    ("customs", "wrong-office", "fr", "Je travaille aujourd'hui dans un autre bureau",
     "Changez votre bureau par défaut dans le menu en haut à droite (*Mon bureau par défaut*)."),
    ("customs", "wrong-office", "es", "Hoy trabajo en otra aduana",
     "Cambie su aduana por defecto en el menú de arriba a la derecha (*Mi aduana por "
     "defecto*)."),
    ("holders", "lost-phone", "en", "I lost my phone with the authenticator app",
     "Ask your chamber of commerce: they check who you are and reset the second factor."),
    ("holders", "lost-phone", "fr", "J'ai perdu le téléphone de mon application d'authentification",
     "Adressez-vous à votre chambre de commerce : elle vérifie votre identité et réinitialise "
     "le second facteur."),
    ("holders", "lost-phone", "es", "He perdido el teléfono con la aplicación de autenticación",
     "Diríjase a su cámara de comercio: comprobará su identidad y restablecerá el segundo "
     "factor."),
    ("all", "report-incident", "en", "How do I report an incident?",
     "Write to your national guaranteeing association with **[INCIDENT]** at the start of the "
     "subject; see *Support* in the help."),
    ("all", "report-incident", "fr", "Comment signaler un incident ?",
     "Écrivez à votre association garante nationale en commençant l'objet par "
     "**[INCIDENT]** ; voir *Assistance* dans l'aide."),
    ("all", "report-incident", "es", "¿Cómo informo de un incidente?",
     "Escriba a su asociación garante nacional empezando el asunto por **[INCIDENT]**; "
     "consulte *Asistencia* en la ayuda."),
]  # fmt: skip


def _ngas(session: Session) -> None:
    for country, name, contact, associations in NGAS:
        nga = session.scalar(select(NGA).where(NGA.name == name))
        if nga is None:
            nga = create_nga(session, country, name, **contact)
        else:
            for key, value in contact.items():
                setattr(nga, key, value)
        existing = {ia.name: ia for ia in nga.associations}
        for ia_name, ia_contact in associations:
            ia = existing.get(ia_name)
            if ia is None:
                create_issuing_association(session, nga, ia_name, **ia_contact)
            else:
                for key, value in ia_contact.items():
                    setattr(ia, key, value)
        session.flush()
        session.refresh(nga)


def load_demo_info(session: Session) -> str:
    """Idempotent; returns the demo operator's email (password: the demo password)."""
    operator = session.scalar(select(Operator).where(Operator.email == DEMO_OPERATOR_EMAIL))
    if operator is None:
        operator = operators.create_operator(
            session, DEMO_OPERATOR_EMAIL, "Demo operator", DEMO_PASSWORD
        )
    _ngas(session)
    now = now_utc()
    if session.scalar(select(NewsItem.id).limit(1)) is None:
        for versions in NEWS:
            first = None
            for audience, language, days_ago, title, body in versions:
                item = news.save_news(
                    session,
                    None,
                    title=title,
                    body=body,
                    audience=audience,
                    language=language,
                    publish_at=now - dt.timedelta(days=days_ago),
                    expires_at=None,
                    version_of=first,
                    actor=Actor("operator", operator.id, operator.email),
                )
                first = first or item
    for position, (audience, slug, language, title, body) in enumerate(FAQ):
        page = session.scalar(
            select(HelpPage).where(HelpPage.slug == slug, HelpPage.language == language)
        )
        help.save_page(
            session,
            page,
            {"slug": slug, "title": title, "body": body, "audience": audience,
             "kind": "faq", "language": language, "position": position // 3},
            actor=Actor("operator", operator.id, operator.email),
        )  # fmt: skip
    help.index_guides(session)
    directory.reindex(session)
    return operator.email
