"""desk: pre-declaration attachments, a hold's customs reference, the travel's holder-filled
fields recorded on the transaction, and goods not re-exported as transaction lines

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_LINES = "line IN ('cleared','not_reimported','processed_abroad')"
NEW_LINES = "line IN ('cleared','not_reimported','processed_abroad','not_reexported')"


def upgrade() -> None:
    op.create_table(
        "predeclaration_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("predeclaration_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["predeclaration_id"],
            ["predeclaration.id"],
            name=op.f("fk_predeclaration_attachment_predeclaration_id_predeclaration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predeclaration_attachment")),
    )
    op.create_index(
        op.f("ix_predeclaration_attachment_predeclaration_id"),
        "predeclaration_attachment",
        ["predeclaration_id"],
        unique=False,
    )
    with op.batch_alter_table("hold") as batch:
        batch.add_column(
            sa.Column("reference", sa.String(length=100), nullable=False, server_default="")
        )
    with op.batch_alter_table("carnet_transaction") as batch:
        batch.add_column(sa.Column("transport_mode", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("packaging_details", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("holder_remarks", sa.String(length=500), nullable=True))
    with op.batch_alter_table("transaction_item") as batch:
        batch.drop_constraint(op.f("ck_transaction_item_line"), type_="check")
        batch.create_check_constraint(op.f("ck_transaction_item_line"), NEW_LINES)


def downgrade() -> None:
    with op.batch_alter_table("transaction_item") as batch:
        batch.drop_constraint(op.f("ck_transaction_item_line"), type_="check")
        batch.create_check_constraint(op.f("ck_transaction_item_line"), OLD_LINES)
    with op.batch_alter_table("carnet_transaction") as batch:
        batch.drop_column("holder_remarks")
        batch.drop_column("packaging_details")
        batch.drop_column("transport_mode")
    with op.batch_alter_table("hold") as batch:
        batch.drop_column("reference")
    op.drop_index(
        op.f("ix_predeclaration_attachment_predeclaration_id"),
        table_name="predeclaration_attachment",
    )
    op.drop_table("predeclaration_attachment")
