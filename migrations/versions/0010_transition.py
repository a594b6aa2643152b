"""the global transition: ATA status history, recorded paper transactions, provisional dates

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("country", sa.Column("provisional_from", sa.Date(), nullable=True))
    op.create_table(
        "ata_status_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("digital_from", sa.Date(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_label", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('provisional','digital','paper')", name=op.f("ck_ata_status_change_status")
        ),
    )
    op.create_index(
        "ix_ata_status_change_country", "ata_status_change", ["country_code", "created_at"]
    )
    op.create_table(
        "paper_transaction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carnet_id", sa.Integer(), sa.ForeignKey("carnet.id"), nullable=False),
        sa.Column("kind", sa.String(14), nullable=False),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code"), nullable=False),
        sa.Column(
            "territory_id", sa.Integer(), sa.ForeignKey("customs_territory.id"), nullable=False
        ),
        sa.Column("office_name", sa.String(160), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("counterfoil_no", sa.String(40), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column(
            "customs_id", sa.Integer(), sa.ForeignKey("customs_administration.id"), nullable=True
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("office.id"), nullable=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("recorded_by", sa.String(254), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('validation','export','import','reexport','reimport','transit_open',"
            "'transit_close')",
            name=op.f("ck_paper_transaction_kind"),
        ),
    )
    op.create_index("ix_paper_transaction_carnet", "paper_transaction", ["carnet_id", "made_on"])
    op.create_index("ix_paper_transaction_customs_id", "paper_transaction", ["customs_id"])
    op.create_table(
        "cover_page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carnet_id", sa.Integer(), sa.ForeignKey("carnet.id"), nullable=False),
        sa.Column("filename", sa.String(100), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("uploaded_by_kind", sa.String(12), nullable=False),
        sa.Column("uploaded_by", sa.String(254), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "uploaded_by_kind IN ('holder','api_client')",
            name=op.f("ck_cover_page_uploaded_by_kind"),
        ),
    )
    op.create_index("ix_cover_page_carnet_id", "cover_page", ["carnet_id"])


def downgrade() -> None:
    op.drop_table("cover_page")
    op.drop_table("paper_transaction")
    op.drop_table("ata_status_change")
    op.drop_column("country", "provisional_from")
