"""jobs, outbox and bulk creation cleaning sessions

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("customs_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customs_id"], ["customs_administration.id"],
                                name=op.f("fk_outbox_message_customs_id_customs_administration")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(op.f("ix_outbox_message_customs_id"), "outbox_message", ["customs_id"])
    op.create_index("ix_outbox_message_due", "outbox_message", ["status", "next_attempt_at"])

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("customs_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_path", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rq_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_job_account_id_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customs_id"], ["customs_administration.id"],
                                name=op.f("fk_job_customs_id_customs_administration")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_customs_id"), "job", ["customs_id"])
    op.create_index(op.f("ix_job_kind"), "job", ["kind"])

    op.create_table(
        "bulk_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("imported_count", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("customs_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_bulk_session_account_id_account"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customs_id"], ["customs_administration.id"],
                                name=op.f("fk_bulk_session_customs_id_customs_administration")),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"],
                                name=op.f("fk_bulk_session_job_id_job"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_session")),
        sa.UniqueConstraint("account_id", "kind", name=op.f("uq_bulk_session_account_id_kind")),
    )
    op.create_index(op.f("ix_bulk_session_customs_id"), "bulk_session", ["customs_id"])

    op.create_table(
        "bulk_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulk_session_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.Column("imported_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["bulk_session_id"], ["bulk_session.id"],
                                name=op.f("fk_bulk_row_bulk_session_id_bulk_session"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_row")),
    )
    op.create_index("ix_bulk_row_order", "bulk_row", ["bulk_session_id", "has_errors", "row_number"])


def downgrade() -> None:
    op.drop_index("ix_bulk_row_order", table_name="bulk_row")
    op.drop_table("bulk_row")
    op.drop_index(op.f("ix_bulk_session_customs_id"), table_name="bulk_session")
    op.drop_table("bulk_session")
    op.drop_index(op.f("ix_job_kind"), table_name="job")
    op.drop_index(op.f("ix_job_customs_id"), table_name="job")
    op.drop_table("job")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_index(op.f("ix_outbox_message_customs_id"), table_name="outbox_message")
    op.drop_table("outbox_message")
