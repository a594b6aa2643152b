"""F-83: every catalogue of a shipped language is complete — each text of the sources has a
translation, none is fuzzy or empty, and each keeps its msgid's placeholders — so a page never
falls back to English in the middle of a French or Spanish screen. Runs in the normal suite."""

import functools
import os
import re
from collections import Counter

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.config import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
TRANSLATIONS = os.path.join(ROOT, "portal", "translations")
SHIPPED = [lang for lang in load_config()["LANGUAGES"] if lang != "en"]  # English is the source
# %(name)s / %(num)d, and a bare %s or %d; "%%" is a literal percent sign
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", "")))


def catalogue(lang: str):
    with open(os.path.join(TRANSLATIONS, lang, "LC_MESSAGES", "messages.po"), "rb") as f:
        return read_po(f, locale=lang)


@functools.cache
def source_msgids() -> frozenset:
    """The texts the sources mark for translation, extracted as `make i18n-extract` does."""
    with open(os.path.join(ROOT, "babel.cfg")) as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()

    # like `pybabel extract --ignore-dirs=".*"`: the folders _partials and _macros count too
    def folders(dirname: str) -> bool:
        return not os.path.basename(dirname).startswith(".")

    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords, directory_filter=folders
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return frozenset(found)


def problems(cat) -> list[str]:
    out = []
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            out.append(f"fuzzy: {ids[0]!r}")
        if not all(strings):
            out.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = placeholders(ids[-1])
        for s in strings:
            if placeholders(s) != wanted and placeholders(s) != placeholders(ids[0]):
                out.append(f"placeholders differ: {ids[0]!r} → {s!r}")
    return out


@pytest.mark.parametrize("lang", SHIPPED)
def test_f83_catalogue_has_no_missing_fuzzy_or_mismatched_entry(lang):
    cat = catalogue(lang)
    assert len(cat) > 500  # the portal's texts are in it, not an empty catalogue
    assert problems(cat) == []


@pytest.mark.parametrize("lang", SHIPPED)
def test_f83_catalogue_covers_every_text_of_the_sources(lang):
    """A text added to a page or a refusal without its translation fails here: run
    `make i18n-update` and translate it (docs/i18n.md)."""
    ids = {m.id if isinstance(m.id, str) else tuple(m.id[:2]) for m in catalogue(lang) if m.id}
    missing = sorted(str(i) for i in source_msgids() - ids)
    assert missing == []


def test_f83_the_check_finds_what_it_must():
    """The checks themselves: an untranslated, a fuzzy and a mismatched entry are reported."""
    from babel.messages.catalog import Catalog

    cat = Catalog(locale="fr")
    cat.add("Carnet %(number)s", "Carnet %(numero)s")
    cat.add("Hold", "")
    cat.add("Release", "Mainlevée", flags=["fuzzy"])
    cat.add("Cancel", "Annuler")
    found = problems(cat)
    assert any(p.startswith("placeholders differ") for p in found)
    assert "untranslated: 'Hold'" in found and "fuzzy: 'Release'" in found
    assert not any("Cancel" in p for p in found)
    assert placeholders("10 %% of %(cap)s") == Counter({"%(cap)s": 1})
