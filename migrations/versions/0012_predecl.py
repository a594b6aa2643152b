"""pre-notifications and pre-declarations (F-50 … F-52)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('predeclaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.Column('travel_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('option', sa.String(length=20), nullable=False),
    sa.Column('expected_at', sa.DateTime(), nullable=False),
    sa.Column('carriage', sa.String(length=10), nullable=False),
    sa.Column('shipment_number', sa.String(length=100), nullable=False),
    sa.Column('transport_mode', sa.String(length=5), nullable=False),
    sa.Column('transport_id', sa.String(length=100), nullable=False),
    sa.Column('representative_enc', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=14), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('acted_by', sa.String(length=200), nullable=False),
    sa.Column('acted_by_account_id', sa.Integer(), nullable=True),
    sa.Column('acted_at', sa.DateTime(), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('customs_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("carriage IN ('cargo','hand_carry')", name=op.f('ck_predeclaration_carriage')),
    sa.CheckConstraint("option IN ('','notification_only','automatic')", name=op.f('ck_predeclaration_option')),
    sa.CheckConstraint("state IN ('pending','acknowledged','rejected','committed','withdrawn')", name=op.f('ck_predeclaration_state')),
    sa.CheckConstraint("transport_mode IN ('air','sea','land')", name=op.f('ck_predeclaration_transport_mode')),
    sa.ForeignKeyConstraint(['acted_by_account_id'], ['account.id'], name=op.f('fk_predeclaration_acted_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_predeclaration_carnet_id_carnet')),
    sa.ForeignKeyConstraint(['customs_id'], ['customs_administration.id'], name=op.f('fk_predeclaration_customs_id_customs_administration')),
    sa.ForeignKeyConstraint(['holder_id'], ['holder.id'], name=op.f('fk_predeclaration_holder_id_holder')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_predeclaration_office_id_office')),
    sa.ForeignKeyConstraint(['transaction_id'], ['carnet_transaction.id'], name=op.f('fk_predeclaration_transaction_id_carnet_transaction')),
    sa.ForeignKeyConstraint(['travel_id'], ['travel.id'], name=op.f('fk_predeclaration_travel_id_travel')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_predeclaration_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predeclaration'))
    )
    with op.batch_alter_table('predeclaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_predeclaration_carnet_id'), ['carnet_id'], unique=False)
        batch_op.create_index('ix_predeclaration_customs_created', ['customs_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_customs_id'), ['customs_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_travel_id'), ['travel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predeclaration_voucher_id'), ['voucher_id'], unique=False)
        batch_op.create_index('uq_predeclaration_open_voucher', ['voucher_id'], unique=True, sqlite_where=sa.text("state IN ('pending','acknowledged')"), postgresql_where=sa.text("state IN ('pending','acknowledged')"))



def downgrade() -> None:
    with op.batch_alter_table('predeclaration', schema=None) as batch_op:
        batch_op.drop_index('uq_predeclaration_open_voucher', sqlite_where=sa.text("state IN ('pending','acknowledged')"), postgresql_where=sa.text("state IN ('pending','acknowledged')"))
        batch_op.drop_index(batch_op.f('ix_predeclaration_voucher_id'))
        batch_op.drop_index(batch_op.f('ix_predeclaration_travel_id'))
        batch_op.drop_index(batch_op.f('ix_predeclaration_state'))
        batch_op.drop_index(batch_op.f('ix_predeclaration_office_id'))
        batch_op.drop_index(batch_op.f('ix_predeclaration_holder_id'))
        batch_op.drop_index(batch_op.f('ix_predeclaration_customs_id'))
        batch_op.drop_index('ix_predeclaration_customs_created')
        batch_op.drop_index(batch_op.f('ix_predeclaration_carnet_id'))

    op.drop_table('predeclaration')
