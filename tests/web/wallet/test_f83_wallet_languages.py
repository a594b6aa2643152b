"""F-83 in the wallet: the pages in the holder's language (no English left on the French pages)
and the emails in the recipient's language (the confirmation mail of a holder who registered in
Spanish)."""

from __future__ import annotations

import email
import email.policy
import os
import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po
from sqlalchemy import select

from portal.domain.carnets import item_description
from portal.i18n import LANGUAGE_NAMES
from portal.models import Carnet, Country, Office, Voucher
from tests.web.wallet.test_f17_wallet_accounts import FORM

CATALOGUE = os.path.join(os.path.dirname(__file__), "../../../portal/translations")


# --- "no English left" ------------------------------------------------------------------------


class _Text(HTMLParser):
    """The visible text nodes of the wallet's own parts of a page (top menu, side menu, main)."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 inside header/aside/main
        self.skip = 0  # > 0 inside script/style
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("header", "aside", "main") or self.depth:
            self.depth += 1 if tag not in ("input", "img", "br", "meta", "link") else 0
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.depth and tag not in ("input", "img", "br", "meta", "link"):
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if self.depth and not self.skip and text:
            self.nodes.append(text)


def _nodes(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def _same_in_french() -> set[str]:
    """Words a French page legitimately shares with English: the catalogue's entries that are
    written the same in both (Carnet, Transit, Date, Options…)."""
    with open(os.path.join(CATALOGUE, "fr/LC_MESSAGES/messages.po"), "rb") as fh:
        cat = read_po(fh)
    words = set()
    for m in cat:
        if m.id and isinstance(m.id, str) and m.string == m.id:
            words.update(re.findall(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)s", "", m.id)))
    return words


# texts that are not the wallet's words: data, codes and the customs half's vocabulary (the
# transaction kinds and carnet statuses of portal/domain/rules.py and carnets, translated there)
NOT_OURS = {"eATA", "ATA", "PDF", "PNG", "JPEG", "PIN", "QR", "UTC", "ISO", "Ctrl", "CH", "TR"}


def _leftovers(en: list[str], fr: list[str], data: set[str]) -> list[str]:
    same = _same_in_french() | NOT_OURS
    left = []
    for a, b in zip(en, fr, strict=False):
        if a != b or re.fullmatch(r"[A-Z0-9-]+", b):  # translated, or a code (transaction code)
            continue
        rest = b
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        words = [w for w in re.findall(r"[A-Za-z]{3,}", rest) if w not in same]
        if words:
            left.append(b)
    return left


def _data_values(session, holder, carnet) -> set[str]:
    values = {holder.legal_name, holder.email, carnet.carnet_number, str(carnet.eata_id)}
    values |= set(session.scalars(select(Country.name)))
    values |= set(session.scalars(select(Office.name)))
    values |= {item_description(carnet, i) for i in carnet.items} | {carnet.currency}
    # the customs half's words (portal/domain/rules.label, carnets.STATUS_LABELS)
    values |= {"validation", "exportation", "re-importation", "importation", "re-exportation"}
    values |= {"Validation", "Exportation", "Re-importation", "Importation", "Re-exportation"}
    values |= {"Valid", "Issued", "Expired", "Active"}
    # the language switch names each language in itself (portal/i18n.py LANGUAGE_NAMES)
    values |= set(LANGUAGE_NAMES.values())
    return values


def _wallet_pages(wallet_client, holder, carnet_id, travel_id, voucher_id):
    client = wallet_client(holder)
    pages = {}

    def both(path):
        en = client.get(path, headers={"Accept-Language": "en"})
        fr = client.get(path, headers={"Accept-Language": "fr-BE,fr;q=0.9"})
        assert en.status_code == fr.status_code == 200, path
        pages[path] = (en.get_data(as_text=True), fr.get_data(as_text=True))

    both(f"/my/travels/{travel_id}/vouchers")  # the disclaimer, then the vouchers
    assert client.post(f"/my/travels/{travel_id}/vouchers", data={}).status_code == 303
    paths = [
        f"/my/vouchers/{voucher_id}",
        f"/my/vouchers/{voucher_id}/predeclaration",
        f"/my/carnets/{carnet_id}/share",
        "/my/carnets",
        f"/my/carnets/{carnet_id}",
        f"/my/carnets/{carnet_id}?tab=history",
        f"/my/carnets/{carnet_id}?tab=sets",
        f"/my/carnets/{carnet_id}/travels/new",
        "/my/travels",
        f"/my/travels/{travel_id}",
        "/my/account",
        "/my/notifications",
        "/my/carnets/download",
        "/my/ata-status",
        "/my/itinerary-advice?departure=CH&destinations=FR",
    ]
    for path in paths:
        both(path)
    return pages


def _holder_with_a_travel(make_holder, issue, wallet_client, session):
    """A holder whose signed carnet has one travel (through the wallet's own pages)."""
    holder = make_holder()
    issued = issue(items=2, pieces=2)
    c = wallet_client(holder)
    r = c.post("/my/carnets/download", data={"carnet_ref": str(issued.eata_id), "pin": issued.pin})
    assert r.status_code == 303
    name = holder.legal_name
    r = c.post(f"/my/carnets/{issued.carnet_id}/accept", data={"signed_name": name, "accept": "y"})
    assert r.status_code == 303
    r = c.post(
        f"/my/carnets/{issued.carnet_id}/travels/new",
        data={
            "departure_country": "CH",
            "destination_country": "FR",
            "transport_mode": "air",
            "qty-1": "1",
            "signed_name": name,
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    travel_id = int(re.search(r"/my/travels/(\d+)", r.headers["Location"]).group(1))
    return holder, session.get(Carnet, issued.carnet_id), travel_id


def test_f83_no_english_left_on_the_french_wallet_pages(make_holder, issue, wallet_client, session):
    holder, carnet, travel_id = _holder_with_a_travel(make_holder, issue, wallet_client, session)
    voucher_id = session.scalar(
        select(Voucher.id).where(Voucher.travel_id == travel_id).order_by(Voucher.id)
    )
    pages = _wallet_pages(wallet_client, holder, carnet.id, travel_id, voucher_id)
    data = _data_values(session, holder, carnet)
    for path, (en, fr) in pages.items():
        assert '<html lang="' in fr
        en_nodes, fr_nodes = _nodes(en), _nodes(fr)
        assert len(en_nodes) == len(fr_nodes), path
        assert _leftovers(en_nodes, fr_nodes, data) == [], path
    # the check can fail: an English page compared with itself is all "left over"
    en = pages["/my/account"][0]
    assert "Save my details" in _leftovers(_nodes(en), _nodes(en), data)
    # and the French pages are really French
    assert "Enregistrer mes coordonnées" in pages["/my/account"][1]
    assert "Préparer un voyage" in pages[f"/my/carnets/{carnet.id}"][1]


# --- emails in the recipient's language --------------------------------------------------------


def _sent_mails(app) -> list[email.message.EmailMessage]:
    from jobs.tasks import drain_outbox

    with app.app_context():
        drain_outbox()
    folder = app.config["MAIL_OUTBOX_DIR"]
    mails = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), "rb") as fh:
            mails.append(email.message_from_binary_file(fh, policy=email.policy.default))
    return mails


def test_f83_wallet_email_in_spanish_for_a_holder_who_registered_in_spanish(
    app, client_for, session
):
    c = client_for("wallet")
    r = c.post("/my/register", data=FORM, headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert r.status_code == 303, r.get_data(as_text=True)
    [mail] = _sent_mails(app)
    assert mail["To"] == "anne@example.test"
    assert mail["Subject"] == "Cartera eATA: confirme su dirección de correo"
    body = mail.get_content()
    assert body.startswith("Hola, Anne Peeters:") and "/my/confirm/" in body
    assert "Confirm your email" not in body


def test_f83_wallet_email_stays_english_for_an_english_registration(app, client_for, session):
    c = client_for("wallet")
    form = {**FORM, "email": "bob@example.test"}
    assert c.post("/my/register", data=form, headers={"Accept-Language": "en"}).status_code == 303
    [mail] = _sent_mails(app)
    assert mail["Subject"] == "eATA wallet: confirm your email address"
    assert mail.get_content().startswith("Hello Anne Peeters,")


def test_f83_password_reset_mail_follows_the_stored_language_not_the_requesters(
    app, make_holder, client_for, session, monkeypatch
):
    """A mail is written for its recipient: the holder's stored language when the model has
    one, else English — never the language of whoever's request sent it."""
    holder = make_holder(email="carla@example.test")
    session.commit()
    c = client_for("wallet")
    r = c.post(
        "/my/password/forgot",
        data={"email": "carla@example.test"},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 200 and "Consultez votre messagerie" in r.get_data(as_text=True)
    mails = _sent_mails(app)
    reset = [m for m in mails if "reset" in m["Subject"] or "restablezca" in m["Subject"]]
    expected = {"es": "Cartera eATA: restablezca su contraseña"}.get(
        getattr(holder, "language", None) or "en", "eATA wallet: reset your password"
    )
    assert [m["Subject"] for m in reset] == [expected]
