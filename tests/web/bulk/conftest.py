"""Fixtures of the bulk creation page tests."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jobs.testing import run_queued_jobs
from tests.unit.bulk.xlsx_builders import fill_template


class BulkPages:
    """Drives the bulk creation pages as an admin's browser would."""

    def __init__(self, app, client):
        self.app = app
        self.client = client

    def template(self, kind: str) -> bytes:
        r = self.client.get(f"/bulk/{kind}/template.xlsx")
        assert r.status_code == 200, r.status_code
        return r.data

    def upload(self, kind: str, data: bytes, filename: str = "filled.xlsx"):
        return self.client.post(
            f"/bulk/{kind}/upload",
            data={"file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )

    def upload_rows(self, kind: str, sheet: str, rows: list[list]) -> int:
        r = self.upload(kind, fill_template(self.template(kind), sheet, rows))
        assert r.status_code == 303, r.data.decode()[:2000]
        return int(r.headers["Location"].rstrip("/").split("/")[-1])

    def import_and_wait(self, session_id: int):
        r = self.client.post(f"/bulk/sessions/{session_id}/import")
        assert r.status_code == 303, r.data.decode()[:2000]
        run_queued_jobs(self.app)
        return self.client.get(f"/bulk/sessions/{session_id}")


@pytest.fixture
def bulk_pages(app, login_as):
    def make(code: str = "be", role: str = "admin", account=None) -> BulkPages:
        return BulkPages(app, login_as(code, role, account))

    return make


def sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
