"""F-83: no English left on the French pages of the desk, the administration screens and
monitoring. Each page is rendered in English and in French; every visible text of the French
page that is also in the English one must be data (names, numbers, codes) or a word that is the
same in both languages — listed here. Any other text shared by both is English left over."""

import re
from html.parser import HTMLParser

import pytest
from babel import Locale

from portal.models import Account

# visible words identical in English and French: proper nouns, codes, and the words both
# languages write alike
SAME_IN_BOTH = {
    "eATA",
    "ATA",
    "CPD",
    "Date",
    "Transport",
    "Contact",
    "Latitude",
    "Code",
    "Actions",
    "Option",
    "Pages",
    "Transit",
    "Carnet",
    "Carnets",
    "Type",
    "Note",
    "Validation",
    "Importation",
    "Exportation",
    "Identification",
    "Page",
    "English",
    "Français",
    "Español",
    "Description",
    "Permissions",
    "Destination",
    "Total",
    "Region",
    "Statut",
    "Single sign-on (OpenID Connect)",
    "OpenID Connect",
    "openid email profile",
    "—",
    "→",
    "*",
    "…",
    "·",
    "▶",
    "%",
    "kg",
    "(",
    ")",
    ":",
    ",",
    "UTC",
    "Longitude",
    "original",
}
# data of the demo administrations and of the factory's world (not texts of the portal)
DATA = re.compile(
    r"^(?:[\W\d_]+|[A-Z][A-Za-z_]+/[A-Za-z_/\-]+|UTC|.*@.*|.*\d.*|https?://.*|.* – .*|Officer [A-Z]{2}|Admin [A-Z]{2}"
    r"|Controller [A-Z]{2}|Regional [Mm]anager [A-Z]{2}|[A-Z]{2}(?:, [A-Z]{2})*|Douane.*|Customs.*|Zoll.*|Dogana.*"
    r"|.*(?:Brussels|Bruxelles|Zaventem|Antwerp|Liège|Paris|Roissy|Genève|Basel|Zürich|Lyon"
    r"|Marseille|Charleroi|Gent|Le Havre|Calais|Lille|Ostend|Oostende|Chiasso).*"
    r"|Studio Lumière SPRL|Anne Peeters|ATA Suisse.*|[A-Z][a-z]+ [A-Z][a-z]+)$"
)


# country names written alike in English and French (Angola, Canada…): proper nouns
COUNTRIES = {
    name
    for code, name in Locale("fr").territories.items()
    if Locale("en").territories.get(code) == name
}


class Texts(HTMLParser):
    """The visible text nodes of a page (not in <script>, <style>, <title> nor hidden)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "alt", "title") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self.skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.skip:
            self.texts.append(text)


def texts(html: str) -> list[str]:
    parser = Texts()
    parser.feed(html)
    return parser.texts


def english_left(en: str, fr: str) -> list[str]:
    english = set(texts(en))
    return sorted(
        {
            t
            for t in texts(fr)
            if t in english
            and re.search(r"[A-Za-z]{2}", t)
            and t not in SAME_IN_BOTH
            and not DATA.match(t)
            and t not in COUNTRIES
        }
    )


DESK = ["/", "/transactions/new", "/holds", "/transactions/last", "/predeclarations"]
MONITORING = [
    "/monitoring/logs",
    "/monitoring/logs?tab=transactions",
    "/monitoring/transits",
    "/monitoring/claims",
    "/monitoring/statistics",
    "/carnets/audit",
]
ADMIN = [
    "/admin/accounts",
    "/admin/accounts/new",
    "/admin/offices",
    "/admin/offices/new",
    "/admin/regions",
    "/admin/regions/new",
    "/admin/settings",
    "/admin/sso",
]


def _in(world, client, account_id, lang, path):
    account = world.session.get(Account, account_id)
    account.language = lang
    world.session.commit()
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


@pytest.mark.parametrize(
    "role, paths", [("officer", DESK), ("admin", ADMIN), ("controller", MONITORING)]
)
def test_f83_no_english_left_on_the_french_pages(kit, world, login_as, account_of, role, paths):
    carnet, voucher, cc = kit.prepare("export")  # some data on the lists
    kit.commit(voucher.travel, "export", cc)
    account = world.officer(cc).account if role == "officer" else account_of(cc, role)
    client = login_as(cc, role, account=account)
    left = {}
    for path in paths:
        en = _in(world, client, account.id, "en", path)
        fr = _in(world, client, account.id, "fr", path)
        assert 'lang="fr"' in fr and 'lang="en"' in en
        if english_left(en, fr):
            left[path] = english_left(en, fr)
    assert left == {}


def test_f83_the_check_finds_english_left():
    en = "<main><h1>Last transactions</h1><p>Carnet</p><p>Studio Lumière SPRL</p></main>"
    fr = "<main><h1>Last transactions</h1><p>Carnet</p><p>Studio Lumière SPRL</p></main>"
    assert english_left(en, fr) == ["Last transactions"]
    assert english_left(en, fr.replace("Last transactions", "Dernières opérations")) == []
