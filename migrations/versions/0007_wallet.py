"""wallet: holder credentials, sessions, email tokens, voucher share links

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('holder_credential',
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret_enc', sa.Text(), nullable=True),
    sa.Column('totp_last_counter', sa.Integer(), nullable=True),
    sa.Column('email_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['holder.id'], name=op.f('fk_holder_credential_holder_id_holder'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('holder_id', name=op.f('pk_holder_credential'))
    )
    op.create_table('holder_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('unlocked_at', sa.DateTime(), nullable=True),
    sa.Column('mfa_pending', sa.Boolean(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['holder.id'], name=op.f('fk_holder_session_holder_id_holder'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holder_session'))
    )
    op.create_index(op.f('ix_holder_session_holder_id'), 'holder_session', ['holder_id'], unique=False)
    op.create_table('holder_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['holder.id'], name=op.f('fk_holder_token_holder_id_holder'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holder_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_holder_token_token_hash'))
    )
    op.create_index(op.f('ix_holder_token_holder_id'), 'holder_token', ['holder_id'], unique=False)
    op.create_table('voucher_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['holder.id'], name=op.f('fk_voucher_share_holder_id_holder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_voucher_share_voucher_id_voucher'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_share')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_voucher_share_token_hash'))
    )
    op.create_index(op.f('ix_voucher_share_holder_id'), 'voucher_share', ['holder_id'], unique=False)
    op.create_index(op.f('ix_voucher_share_voucher_id'), 'voucher_share', ['voucher_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_voucher_share_voucher_id'), table_name='voucher_share')
    op.drop_index(op.f('ix_voucher_share_holder_id'), table_name='voucher_share')
    op.drop_table('voucher_share')
    op.drop_index(op.f('ix_holder_token_holder_id'), table_name='holder_token')
    op.drop_table('holder_token')
    op.drop_index(op.f('ix_holder_session_holder_id'), table_name='holder_session')
    op.drop_table('holder_session')
    op.drop_table('holder_credential')

