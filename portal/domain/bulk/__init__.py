"""Bulk creation of regions, offices and accounts from Excel (F-16, Customs User Guide "Bulk
creation").

The flow per kind: `template.build_template` → `upload.upload` (hostile-file guard, read-only
parse, every row validated, stored as a cleaning session replacing the admin's previous one) →
`cleaning.save_rows` (edits from the browser, the whole session validated again) →
`importing.begin_import` (a job row) → `importing.import_session` (run by the job). What a row
must be is `rules`, which uses the administration forms' own checks for every shared value.
"""

from portal.domain.bulk.cleaning import page_of_rows, revalidate, save_rows
from portal.domain.bulk.columns import SPECS, spec_of
from portal.domain.bulk.importing import (
    begin_import,
    import_session,
    job_of,
    release_after_failure,
    report_rows,
)
from portal.domain.bulk.rules import (
    KINDS,
    Column,
    Context,
    KindSpec,
    check_cell,
    create_account,
    create_office,
    create_region,
    load_context,
    validate_all,
)
from portal.domain.bulk.template import build_template, list_values
from portal.domain.bulk.upload import current_session, parse_workbook, upload

__all__ = [
    "KINDS",
    "SPECS",
    "Column",
    "Context",
    "KindSpec",
    "begin_import",
    "build_template",
    "check_cell",
    "create_account",
    "create_office",
    "create_region",
    "current_session",
    "import_session",
    "job_of",
    "list_values",
    "load_context",
    "page_of_rows",
    "parse_workbook",
    "release_after_failure",
    "report_rows",
    "revalidate",
    "save_rows",
    "spec_of",
    "upload",
    "validate_all",
]
