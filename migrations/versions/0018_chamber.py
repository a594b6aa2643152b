"""the issuing associations' staff portal (chamber.<domain>, F-74 F-71 F-37): staff accounts,
their login sessions and invitation links. docs/transition.md

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


# a cover page may be attached by the chamber's staff too (F-37)
OLD_KINDS = "uploaded_by_kind IN ('holder','api_client')"
NEW_KINDS = "uploaded_by_kind IN ('holder','api_client','chamber')"


def upgrade() -> None:
    with op.batch_alter_table("cover_page") as batch:
        batch.drop_constraint(op.f("ck_cover_page_uploaded_by_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_cover_page_uploaded_by_kind"), NEW_KINDS)
    op.create_table('chamber_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('staff_role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret_enc', sa.Text(), nullable=True),
    sa.Column('totp_last_counter', sa.Integer(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('invited_by', sa.String(length=254), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['issuing_association.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_index(op.f('ix_chamber_staff_association_id'), 'chamber_staff', ['association_id'], unique=False)
    op.create_table('chamber_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('mfa_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['chamber_staff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_chamber_session_staff_id'), 'chamber_session', ['staff_id'], unique=False)
    op.create_table('chamber_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['chamber_staff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_chamber_token_staff_id'), 'chamber_token', ['staff_id'], unique=False)
    # the association's carnets, newest first (the chamber's list: keyset on (association, id))
    op.create_index('ix_carnet_association_id', 'carnet', ['issuing_association_id', 'id'], unique=False)


def downgrade() -> None:
    # the chamber's uploads stay, as the chamber's (its issuing system's) own
    op.execute("UPDATE cover_page SET uploaded_by_kind = 'api_client' WHERE uploaded_by_kind = 'chamber'")
    with op.batch_alter_table("cover_page") as batch:
        batch.drop_constraint(op.f("ck_cover_page_uploaded_by_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_cover_page_uploaded_by_kind"), OLD_KINDS)
    op.drop_index('ix_carnet_association_id', table_name='carnet')
    op.drop_index(op.f('ix_chamber_token_staff_id'), table_name='chamber_token')
    op.drop_table('chamber_token')
    op.drop_index(op.f('ix_chamber_session_staff_id'), table_name='chamber_session')
    op.drop_table('chamber_session')
    op.drop_index(op.f('ix_chamber_staff_association_id'), table_name='chamber_staff')
    op.drop_table('chamber_staff')
