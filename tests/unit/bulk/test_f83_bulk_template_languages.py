"""F-83 for bulk creation: the template's headers and the row refusals are in the admin's
language, and a template downloaded in one language is read back whatever the uploader's."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.domain import DomainError, bulk
from portal.domain.bulk.template import build_template
from portal.domain.bulk.upload import parse_workbook
from portal.domain.xlsx_guard import Limits
from portal.i18n import with_locale
from portal.models import CustomsAdministration
from tests.unit.bulk.xlsx_builders import workbook


@pytest.fixture
def be(demo):
    return demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))


def _headers(data: bytes, sheet: str) -> list[str]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [c for c in next(wb[sheet].iter_rows(values_only=True)) if c]


def test_f83_bulk_template_headers_in_french_are_read_back_in_english(app, demo, be):
    spec = bulk.SPECS["office"]
    with app.test_request_context("/"), with_locale("fr"):
        data = build_template(demo, be, "office", max_rows=5)
    headers = _headers(data, spec.sheet)
    assert headers[:3] == ["Région *", "Nom *", "Code"] and "Fuseau horaire" in headers
    rows = [["Brussels region", "Zaventem Airport", "BE001"] + [None] * (len(headers) - 3)]
    filled = workbook(spec.sheet, headers, rows)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        [(number, values)] = parse_workbook(filled, spec, Limits.from_config(app.config))
    assert number == 2 and values["name"] == "Zaventem Airport" and values["code"] == "BE001"


def test_f83_bulk_unknown_headers_are_refused_in_the_readers_language(app, demo):
    spec = bulk.SPECS["region"]
    # Spanish headers are read like any shipped language's; a header of no language is not
    data = workbook(spec.sheet, ["Nombre", "Territorio"], [["Flandes", "EU"]])
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        [(_, values)] = parse_workbook(data, spec, Limits.from_config(app.config))
    assert values == {"name": "Flandes", "territory": "EU"}
    data = workbook(spec.sheet, ["Nombre", "Zona"], [["Flandes", "EU"]])
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        with pytest.raises(DomainError) as refused:
            parse_workbook(data, spec, Limits.from_config(app.config))
    assert refused.value.message == (
        "La hoja no tiene la columna “Territorio”. Vuelva a descargar la plantilla."
    )
