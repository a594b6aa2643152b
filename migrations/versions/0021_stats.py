"""statistics at scale (F-66): the carnets that entered each territory by issuing country
(`carnet_country_count`) and the reconciliation statuses per territory
(`reconciliation_status_count`), written by the reconciliation runs as of their new
`counted_until`, filled here as of the last finished run; the entered_at index of the read
model and the cancellations' time index the page and the runs read what changed since by; the
reconciliation's (territory, status) index extended by the carnet for the Carnets tab's status
filters (docs/monitoring.md "Statistics", "Lists at scale")

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# the same rows as portal/domain/reconciliation.py refresh_country_counts (a full run):
# the carnets that entered each territory, live or archived (0020)
COUNTRY_COUNTS = """
INSERT INTO carnet_country_count (territory_id, country_code, carnets)
SELECT ct.territory_id, n.country_code, count(*)
FROM (
    SELECT carnet_id, territory_id, entered_at FROM carnet_territory
    UNION ALL
    SELECT carnet_id, territory_id, entered_at FROM carnet_territory_archive
) ct JOIN carnet c ON c.id = ct.carnet_id JOIN nga n ON n.id = c.nga_id
WHERE ct.entered_at < :at
GROUP BY ct.territory_id, n.country_code
"""
STATUS_COUNTS = """
INSERT INTO reconciliation_status_count (territory_id, status, carnets)
SELECT territory_id, status, count(*) FROM reconciliation GROUP BY territory_id, status
"""


def upgrade() -> None:
    op.add_column("reconciliation_run", sa.Column("counted_until", sa.DateTime(), nullable=True))
    op.create_table(
        "carnet_country_count",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("carnets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_carnet_country_count_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint(
            "territory_id", "country_code", name=op.f("pk_carnet_country_count")
        ),
    )
    op.create_table(
        "reconciliation_status_count",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("carnets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_reconciliation_status_count_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint(
            "territory_id", "status", name=op.f("pk_reconciliation_status_count")
        ),
    )
    bind = op.get_bind()
    # the runs made so far counted as of their start (counted_until NULL means started_at)
    at = bind.execute(
        sa.text("SELECT max(started_at) FROM reconciliation_run WHERE finished_at IS NOT NULL")
    ).scalar()
    if at is not None:
        bind.execute(sa.text(COUNTRY_COUNTS), {"at": at})
        bind.execute(sa.text(STATUS_COUNTS))
    op.create_index("ix_carnet_territory_entered", "carnet_territory", ["entered_at"])
    op.create_index(op.f("ix_cancellation_at"), "cancellation", ["at"])
    # the Carnets tab's status filters read the statuses in the list's order (newest first)
    op.drop_index("ix_reconciliation_territory_status", table_name="reconciliation")
    op.create_index(
        "ix_reconciliation_territory_status",
        "reconciliation",
        ["territory_id", "status", "carnet_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_reconciliation_territory_status", table_name="reconciliation")
    op.create_index(
        "ix_reconciliation_territory_status", "reconciliation", ["territory_id", "status"]
    )
    op.drop_index(op.f("ix_cancellation_at"), table_name="cancellation")
    op.drop_index("ix_carnet_territory_entered", table_name="carnet_territory")
    op.drop_table("reconciliation_status_count")
    op.drop_table("carnet_country_count")
    with op.batch_alter_table("reconciliation_run") as batch:
        batch.drop_column("counted_until")
