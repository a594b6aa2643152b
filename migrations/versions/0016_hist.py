"""history at scale: the R-04 read model `carnet_territory` (filled from the transactions), the
statistics' `transaction_year_count` (filled as of the last reconciliation run) and the indexes
the Logs lists read by (docs/monitoring.md "The history read model")

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# the same facts as portal/domain/history.py rebuild(): one set-based statement
FILL = """
INSERT INTO carnet_territory (carnet_id, territory_id, entered_at, final_reimport_id)
SELECT e.carnet_id, e.territory_id, e.entered_at, f.final_id
FROM (SELECT carnet_id, territory_id, min(committed_at) AS entered_at
      FROM carnet_transaction GROUP BY carnet_id, territory_id) e
LEFT JOIN (SELECT carnet_id, max(id) AS final_id FROM carnet_transaction
           WHERE kind = 'reimport' AND state = 'committed' GROUP BY carnet_id) f
       ON f.carnet_id = e.carnet_id
"""


# statistics (portal/domain/reconciliation.py refresh_year_counts): committed transactions per
# territory and year as they stood at the start of the last finished run (none: left empty,
# the page then counts live)
YEAR_COUNTS = """
INSERT INTO transaction_year_count (territory_id, year, committed)
SELECT t.territory_id, {year}, count(*)
FROM carnet_transaction t LEFT JOIN cancellation c ON c.transaction_id = t.id
WHERE t.committed_at < :at AND (t.state = 'committed' OR c.at >= :at)
GROUP BY t.territory_id, {year}
"""


def upgrade() -> None:
    op.create_table(
        "carnet_territory",
        sa.Column("carnet_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("final_reimport_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["carnet_id"],
            ["carnet.id"],
            name=op.f("fk_carnet_territory_carnet_id_carnet"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_carnet_territory_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint("carnet_id", "territory_id", name=op.f("pk_carnet_territory")),
    )
    op.execute(FILL)
    if op.get_bind().dialect.name == "postgresql":
        # the planner's statistics of the new table at once (the Logs' first views otherwise
        # wait for autovacuum to find it)
        op.execute("ANALYZE carnet_territory")
    op.create_index(
        "ix_carnet_territory_territory_carnet", "carnet_territory", ["territory_id", "carnet_id"]
    )
    op.create_table(
        "transaction_year_count",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_transaction_year_count_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint("territory_id", "year", name=op.f("pk_transaction_year_count")),
    )
    bind = op.get_bind()
    at = bind.execute(
        sa.text("SELECT max(started_at) FROM reconciliation_run WHERE finished_at IS NOT NULL")
    ).scalar()
    if at is not None:
        year = (
            "CAST(EXTRACT(year FROM t.committed_at) AS integer)"
            if bind.dialect.name == "postgresql"
            else "CAST(strftime('%Y', t.committed_at) AS INTEGER)"
        )
        bind.execute(sa.text(YEAR_COUNTS.format(year=year)), {"at": at})
    # the Transactions tab's order (newest first) and the keyset pager's cursor
    op.create_index("ix_transaction_committed_id", "carnet_transaction", ["committed_at", "id"])
    # a territory's own transactions by time (statistics, own-territory filters)
    op.create_index(
        "ix_transaction_territory_committed", "carnet_transaction", ["territory_id", "committed_at"]
    )
    # the Logs search box: a customs reference number given whole
    op.create_index("ix_transaction_reference", "carnet_transaction", ["reference"])
    op.create_index(
        "ix_transaction_cancelled",
        "carnet_transaction",
        ["committed_at", "id"],
        sqlite_where=sa.text("state = 'cancelled'"),
        postgresql_where=sa.text("state = 'cancelled'"),
    )


def downgrade() -> None:
    op.drop_index("ix_transaction_cancelled", table_name="carnet_transaction")
    op.drop_index("ix_transaction_reference", table_name="carnet_transaction")
    op.drop_index("ix_transaction_territory_committed", table_name="carnet_transaction")
    op.drop_index("ix_transaction_committed_id", table_name="carnet_transaction")
    op.drop_index("ix_carnet_territory_territory_carnet", table_name="carnet_territory")
    op.drop_table("carnet_territory")
    op.drop_table("transaction_year_count")
