"""monitoring: reconciliation, transit states, claims (F-60 ... F-67)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconciliation',
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('unbalanced', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('na','terminated','to_check')", name=op.f('ck_reconciliation_status')),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_reconciliation_carnet_id_carnet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['customs_territory.id'], name=op.f('fk_reconciliation_territory_id_customs_territory')),
    sa.PrimaryKeyConstraint('carnet_id', 'territory_id', name=op.f('pk_reconciliation'))
    )
    with op.batch_alter_table('reconciliation', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_territory_status', ['territory_id', 'status'], unique=False)

    op.create_table('claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.Column('nga_id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_account_id', sa.Integer(), nullable=True),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('import_duties', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('provisional_payment_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('customs_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open','answered','settled','withdrawn')", name=op.f('ck_claim_status')),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_claim_carnet_id_carnet')),
    sa.ForeignKeyConstraint(['customs_id'], ['customs_administration.id'], name=op.f('fk_claim_customs_id_customs_administration')),
    sa.ForeignKeyConstraint(['nga_id'], ['nga.id'], name=op.f('fk_claim_nga_id_nga')),
    sa.ForeignKeyConstraint(['opened_by_account_id'], ['account.id'], name=op.f('fk_claim_opened_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['customs_territory.id'], name=op.f('fk_claim_territory_id_customs_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim'))
    )
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_carnet_id'), ['carnet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_customs_id'), ['customs_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_nga_id'), ['nga_id'], unique=False)

    op.create_table('reconciliation_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('goods_item_id', sa.Integer(), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('obligation', sa.String(length=10), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('accounted', sa.Integer(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.CheckConstraint("obligation IN ('reimport','reexport','transit')", name=op.f('ck_reconciliation_line_obligation')),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_reconciliation_line_carnet_id_carnet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goods_item_id'], ['goods_item.id'], name=op.f('fk_reconciliation_line_goods_item_id_goods_item')),
    sa.ForeignKeyConstraint(['territory_id'], ['customs_territory.id'], name=op.f('fk_reconciliation_line_territory_id_customs_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_line'))
    )
    with op.batch_alter_table('reconciliation_line', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_line_carnet', ['carnet_id', 'territory_id'], unique=False)

    op.create_table('claim_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=10), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('transaction_ids', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_event_claim_id_claim'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_event'))
    )
    with op.batch_alter_table('claim_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_event_claim_id'), ['claim_id'], unique=False)

    op.create_table('reconciliation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('today', sa.Date(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('carnets', sa.Integer(), nullable=False),
    sa.Column('to_check', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_reconciliation_run_job_id_job'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_run'))
    )
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_run_started_at'), ['started_at'], unique=False)

    op.create_table('claim_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('document','certificate_of_location')", name=op.f('ck_claim_evidence_kind')),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_evidence_claim_id_claim'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['claim_event.id'], name=op.f('fk_claim_evidence_event_id_claim_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_evidence'))
    )
    with op.batch_alter_table('claim_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_evidence_claim_id'), ['claim_id'], unique=False)

    op.create_table('reconciliation_scope',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_reconciliation_scope_carnet_id_carnet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_run.id'], name=op.f('fk_reconciliation_scope_run_id_reconciliation_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'carnet_id', name=op.f('pk_reconciliation_scope'))
    )
    op.create_table('transit_state',
    sa.Column('open_transaction_id', sa.Integer(), nullable=False),
    sa.Column('carnet_id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('close_transaction_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('in_progress','closed','expired')", name=op.f('ck_transit_state_state')),
    sa.ForeignKeyConstraint(['carnet_id'], ['carnet.id'], name=op.f('fk_transit_state_carnet_id_carnet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['close_transaction_id'], ['carnet_transaction.id'], name=op.f('fk_transit_state_close_transaction_id_carnet_transaction'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['open_transaction_id'], ['carnet_transaction.id'], name=op.f('fk_transit_state_open_transaction_id_carnet_transaction'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['customs_territory.id'], name=op.f('fk_transit_state_territory_id_customs_territory')),
    sa.PrimaryKeyConstraint('open_transaction_id', name=op.f('pk_transit_state'))
    )
    with op.batch_alter_table('transit_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transit_state_carnet_id'), ['carnet_id'], unique=False)
        batch_op.create_index('ix_transit_state_territory_state', ['territory_id', 'state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transit_state', schema=None) as batch_op:
        batch_op.drop_index('ix_transit_state_territory_state')
        batch_op.drop_index(batch_op.f('ix_transit_state_carnet_id'))

    op.drop_table('transit_state')
    op.drop_table('reconciliation_scope')
    with op.batch_alter_table('claim_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_evidence_claim_id'))

    op.drop_table('claim_evidence')
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_run_started_at'))

    op.drop_table('reconciliation_run')
    with op.batch_alter_table('claim_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_event_claim_id'))

    op.drop_table('claim_event')
    with op.batch_alter_table('reconciliation_line', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_line_carnet')

    op.drop_table('reconciliation_line')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_nga_id'))
        batch_op.drop_index(batch_op.f('ix_claim_customs_id'))
        batch_op.drop_index(batch_op.f('ix_claim_carnet_id'))

    op.drop_table('claim')
    with op.batch_alter_table('reconciliation', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_territory_status')

    op.drop_table('reconciliation')
