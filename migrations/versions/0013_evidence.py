"""evidence: signed receipts, the hash-chained audit trail, signed checkpoints, and on
PostgreSQL the triggers that refuse changes to the evidence (docs/evidence.md)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# PostgreSQL: the audit trail, its checkpoints and a committed transaction's lines are never
# changed; a committed transaction changes only by its recorded cancellation (state committed →
# cancelled with a cancellation row, checked at commit), by the SET NULL of a deleted account,
# or by the re-encryption of its codes under a new data key. TRUNCATE is not a row change: the
# application's role must not hold it (docs/evidence.md "Database role").
PG_UP = """
CREATE FUNCTION eata_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'eATA evidence: % of % is refused (append-only)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION eata_transaction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  free text[] := ARRAY['state', 'account_id', 'verification_code_enc', 'cancellation_code_enc'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'eATA evidence: DELETE of a committed transaction is refused'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (to_jsonb(NEW) - free) IS DISTINCT FROM (to_jsonb(OLD) - free)
     OR (NEW.state IS DISTINCT FROM OLD.state
         AND NOT (OLD.state = 'committed' AND NEW.state = 'cancelled'))
     OR (NEW.account_id IS DISTINCT FROM OLD.account_id AND NEW.account_id IS NOT NULL) THEN
    RAISE EXCEPTION 'eATA evidence: a committed transaction changes only by its cancellation'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION eata_cancellation_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'cancelled' AND OLD.state = 'committed'
     AND NOT EXISTS (SELECT 1 FROM cancellation WHERE transaction_id = NEW.id) THEN
    RAISE EXCEPTION 'eATA evidence: transaction % cancelled without a cancellation record', NEW.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION eata_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION eata_append_only();
CREATE TRIGGER transaction_item_append_only BEFORE UPDATE OR DELETE ON transaction_item
  FOR EACH ROW EXECUTE FUNCTION eata_append_only();
CREATE TRIGGER carnet_transaction_guard BEFORE UPDATE OR DELETE ON carnet_transaction
  FOR EACH ROW EXECUTE FUNCTION eata_transaction_guard();
CREATE CONSTRAINT TRIGGER carnet_transaction_cancellation AFTER UPDATE ON carnet_transaction
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION eata_cancellation_recorded();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS carnet_transaction_cancellation ON carnet_transaction;
DROP TRIGGER IF EXISTS carnet_transaction_guard ON carnet_transaction;
DROP TRIGGER IF EXISTS transaction_item_append_only ON transaction_item;
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_checkpoint;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS eata_cancellation_recorded();
DROP FUNCTION IF EXISTS eata_transaction_guard();
DROP FUNCTION IF EXISTS eata_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("chain", name=op.f("uq_audit_chain_chain")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoint_issued_at"), ["issued_at"], unique=False
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ux_audit_event_chain_seq", ["chain", "seq"], unique=True)
    with op.batch_alter_table("carnet_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_signature", sa.String(length=120), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DOWN)
    with op.batch_alter_table("carnet_transaction", schema=None) as batch_op:
        batch_op.drop_column("receipt_signature")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ux_audit_event_chain_seq")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain")
