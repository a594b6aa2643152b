"""An administration's organisation: regions, offices and customs accounts (F-13 … F-15, R-16).

Plain functions over a session, no Flask, one module per thing: `scope` (what an actor may
see and change), `fields` (the rules of each value, shared with bulk creation), `regions`,
`offices`, `accounts`, `settings`, `export`. Refusals raise DomainError naming the form field
they belong to (R-12); NotFound means "not visible to this actor" and becomes a 404. The
create/update functions return the changed fields as {field: (before, after)} for the audit
trail; they flush but never commit.
"""

from portal.domain.organisation.accounts import (
    AccountUpdate,
    EmailChange,
    account_list,
    check_can_reset,
    create_account,
    delete_account,
    force_password_change,
    set_account_active,
    update_account,
    visible_roles,
)
from portal.domain.organisation.base import Changes, jsonable
from portal.domain.organisation.export import EXPORT_LIMIT, account_rows, write_accounts_xlsx
from portal.domain.organisation.fields import Invalid, timezones
from portal.domain.organisation.offices import (
    OFFICE_TYPES,
    create_office,
    delete_office,
    office_list,
    update_office,
)
from portal.domain.organisation.regions import (
    create_region,
    delete_region,
    region_list,
    update_region,
)
from portal.domain.organisation.scope import (
    account_reach,
    get_account,
    get_office,
    get_region,
    office_of,
    office_reach,
    office_within_reach,
    offices_for,
    offices_within_reach,
    region_of,
    region_reach,
    regions_for,
)
from portal.domain.organisation.settings import INVITATION_DAYS_RANGE, update_settings

__all__ = [
    "EXPORT_LIMIT",
    "INVITATION_DAYS_RANGE",
    "OFFICE_TYPES",
    "AccountUpdate",
    "Changes",
    "EmailChange",
    "Invalid",
    "account_list",
    "account_reach",
    "account_rows",
    "check_can_reset",
    "create_account",
    "create_office",
    "create_region",
    "delete_account",
    "delete_office",
    "delete_region",
    "force_password_change",
    "get_account",
    "get_office",
    "get_region",
    "jsonable",
    "office_list",
    "office_of",
    "office_reach",
    "office_within_reach",
    "offices_for",
    "offices_within_reach",
    "region_list",
    "region_of",
    "region_reach",
    "regions_for",
    "set_account_active",
    "timezones",
    "update_account",
    "update_office",
    "update_region",
    "update_settings",
    "visible_roles",
    "write_accounts_xlsx",
]
