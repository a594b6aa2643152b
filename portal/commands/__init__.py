"""Operator commands (`flask <group> <command>`), one module per area:

| module | groups |
|---|---|
| `database` | `db upgrade` |
| `refdata` | `refdata load` |
| `ata_status` | `ata-status list / history / announce / confirm / withdraw` |
| `demo` | `demo load` |
| `customs` | `customs create` |
| `nics` | `nga create / add-association / list`, `api-client create / create-customs / rotate / revoke / purge` |
| `keys` | `keys new / rotate` |
| `carnets` | `carnet audit` |
| `evidence` | `receipts verify / keys / new-key / revocations`, `audit verify / checkpoint` |
| `jobs` | `jobs worker / scheduler`, `outbox drain` |
| `monitoring` | `monitoring rebuild-history / archive` |
| `ops` | `ops create-operator`, `info reindex` |

The app factory calls `register(app)`, which adds every group.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup


def groups() -> list[AppGroup]:
    from portal.commands import (
        ata_status,
        carnets,
        customs,
        database,
        demo,
        evidence,
        jobs,
        keys,
        monitoring,
        nics,
        ops,
        refdata,
    )

    return [
        database.db_cli,
        refdata.refdata_cli,
        ata_status.ata_status_cli,
        demo.demo_cli,
        customs.customs_cli,
        jobs.jobs_cli,
        jobs.outbox_cli,
        nics.nga_cli,
        nics.api_client_cli,
        keys.keys_cli,
        carnets.carnet_cli,
        evidence.receipts_cli,
        evidence.audit_cli,
        monitoring.monitoring_cli,
        ops.ops_cli,
        ops.info_cli,
    ]


def register(app: Flask) -> None:
    for group in groups():
        app.cli.add_command(group)
