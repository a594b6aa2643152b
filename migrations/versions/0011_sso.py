"""OpenID Connect single sign-on per administration (F-19)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_enc", sa.Text(), nullable=False),
        sa.Column("allowed_domains", sa.Text(), nullable=False),
        sa.Column("builtin_login", sa.Boolean(), nullable=False),
        sa.Column("trust_mfa", sa.Boolean(), nullable=False),
        sa.Column("mfa_acr_values", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("customs_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customs_id"],
            ["customs_administration.id"],
            name=op.f("fk_sso_provider_customs_id_customs_administration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_provider")),
        sa.UniqueConstraint("customs_id", name=op.f("uq_sso_provider_customs_id")),
    )
    op.create_index(op.f("ix_sso_provider_customs_id"), "sso_provider", ["customs_id"])
    op.create_table(
        "sso_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("customs_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_sso_identity_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customs_id"],
            ["customs_administration.id"],
            name=op.f("fk_sso_identity_customs_id_customs_administration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identity")),
        sa.UniqueConstraint(
            "account_id", "issuer", name=op.f("uq_sso_identity_account_id_issuer")
        ),
        sa.UniqueConstraint(
            "customs_id", "issuer", "subject", name=op.f("uq_sso_identity_customs_id_issuer_subject")
        ),
    )
    op.create_index(op.f("ix_sso_identity_customs_id"), "sso_identity", ["customs_id"])


def downgrade() -> None:
    op.drop_table("sso_identity")
    op.drop_table("sso_provider")
