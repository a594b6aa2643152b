"""operator accounts in the console: an invitation link (its keyed hash and expiry) on the
operator row until the operator sets a password (docs/operator.md)

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invite_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_operator_invite_hash'), ['invite_hash'])


def downgrade():
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_operator_invite_hash'), type_='unique')
        batch_op.drop_column('invite_expires_at')
        batch_op.drop_column('invite_hash')
