"""the archive of closed carnets (issue #20 item 5): tables of the same shape as the
transactions, their lines, cancellations and the R-04 read model, `carnet.archived_at`, and no
foreign key from holder notifications and pre-declarations to the live transactions (the
transaction they name may move to the archive, with its id). docs/monitoring.md "Archive"

Revision ID: 0020
Revises: 0019
"""

from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


# PostgreSQL's evidence triggers (0013, docs/evidence.md): a committed transaction and its lines
# still never change, and leave the live tables only when an identical row (same id, same
# content) is in their archive table — the archive's move, INSERT … SELECT then DELETE in one
# database transaction; the archive tables get the live tables' guards (no DELETE; an archived
# transaction changes only by the SET NULL of a deleted account or its codes' re-encryption).
PG_UP = """
CREATE FUNCTION eata_moved_to_archive() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  copied boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I a WHERE a.id = $1.id '
                 'AND to_jsonb(a) = to_jsonb($1))', TG_TABLE_NAME || '_archive')
    INTO copied USING OLD;
  IF NOT copied THEN
    RAISE EXCEPTION 'eATA evidence: DELETE of % is refused (append-only; only an archived row leaves)',
      TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END $$;

DROP TRIGGER transaction_item_append_only ON transaction_item;
CREATE TRIGGER transaction_item_append_only BEFORE UPDATE ON transaction_item
  FOR EACH ROW EXECUTE FUNCTION eata_append_only();
CREATE TRIGGER transaction_item_archived BEFORE DELETE ON transaction_item
  FOR EACH ROW EXECUTE FUNCTION eata_moved_to_archive();
DROP TRIGGER carnet_transaction_guard ON carnet_transaction;
CREATE TRIGGER carnet_transaction_guard BEFORE UPDATE ON carnet_transaction
  FOR EACH ROW EXECUTE FUNCTION eata_transaction_guard();
CREATE TRIGGER carnet_transaction_archived BEFORE DELETE ON carnet_transaction
  FOR EACH ROW EXECUTE FUNCTION eata_moved_to_archive();

CREATE TRIGGER transaction_item_archive_append_only BEFORE UPDATE OR DELETE
  ON transaction_item_archive FOR EACH ROW EXECUTE FUNCTION eata_append_only();
CREATE TRIGGER carnet_transaction_archive_guard BEFORE UPDATE OR DELETE
  ON carnet_transaction_archive FOR EACH ROW EXECUTE FUNCTION eata_transaction_guard();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS carnet_transaction_archive_guard ON carnet_transaction_archive;
DROP TRIGGER IF EXISTS transaction_item_archive_append_only ON transaction_item_archive;
DROP TRIGGER IF EXISTS carnet_transaction_archived ON carnet_transaction;
DROP TRIGGER IF EXISTS carnet_transaction_guard ON carnet_transaction;
CREATE TRIGGER carnet_transaction_guard BEFORE UPDATE OR DELETE ON carnet_transaction
  FOR EACH ROW EXECUTE FUNCTION eata_transaction_guard();
DROP TRIGGER IF EXISTS transaction_item_archived ON transaction_item;
DROP TRIGGER IF EXISTS transaction_item_append_only ON transaction_item;
CREATE TRIGGER transaction_item_append_only BEFORE UPDATE OR DELETE ON transaction_item
  FOR EACH ROW EXECUTE FUNCTION eata_append_only();
DROP FUNCTION IF EXISTS eata_moved_to_archive();
"""


def upgrade() -> None:
    op.create_table(
        "carnet_territory_archive",
        sa.Column("carnet_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("territory_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entered_at", sa.DateTime(), autoincrement=False, nullable=False),
        sa.Column("final_reimport_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.ForeignKeyConstraint(
            ["carnet_id"],
            ["carnet.id"],
            name=op.f("fk_carnet_territory_archive_carnet_id_carnet"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_carnet_territory_archive_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint(
            "carnet_id", "territory_id", name=op.f("pk_carnet_territory_archive")
        ),
    )
    with op.batch_alter_table("carnet_territory_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_carnet_territory_archive_territory_id_carnet_id",
            ["territory_id", "carnet_id"],
            unique=False,
        )

    op.create_table(
        "carnet_transaction_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("voucher_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("carnet_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=14), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("territory_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("country_code", sa.String(length=2), autoincrement=False, nullable=False),
        sa.Column("customs_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("office_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("officer_name", sa.String(length=200), autoincrement=False, nullable=False),
        sa.Column("office_name", sa.String(length=160), autoincrement=False, nullable=False),
        sa.Column("committed_at", sa.DateTime(), autoincrement=False, nullable=False),
        sa.Column("goods_examined", sa.Boolean(), autoincrement=False, nullable=True),
        sa.Column("final_date", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("customs_seals", sa.String(length=300), autoincrement=False, nullable=False),
        sa.Column("action_not_reexported", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("action_not_produced", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("reference", sa.String(length=100), autoincrement=False, nullable=False),
        sa.Column("remarks", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("transport_mode", sa.String(length=5), autoincrement=False, nullable=True),
        sa.Column("packaging_details", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column("holder_remarks", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column("signed_name", sa.String(length=250), autoincrement=False, nullable=False),
        sa.Column("signed_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column(
            "verification_code_hash", sa.String(length=64), autoincrement=False, nullable=False
        ),
        sa.Column("verification_code_enc", sa.Text(), autoincrement=False, nullable=False),
        sa.Column(
            "cancellation_code_hash", sa.String(length=64), autoincrement=False, nullable=False
        ),
        sa.Column("cancellation_code_enc", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("commit_token_hash", sa.String(length=64), autoincrement=False, nullable=True),
        sa.Column("receipt_signature", sa.String(length=120), autoincrement=False, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_carnet_transaction_archive_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["carnet_id"],
            ["carnet.id"],
            name=op.f("fk_carnet_transaction_archive_carnet_id_carnet"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["country.code"],
            name=op.f("fk_carnet_transaction_archive_country_code_country"),
        ),
        sa.ForeignKeyConstraint(
            ["customs_id"],
            ["customs_administration.id"],
            name=op.f("fk_carnet_transaction_archive_customs_id_customs_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
            name=op.f("fk_carnet_transaction_archive_office_id_office"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_carnet_transaction_archive_territory_id_customs_territory"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["voucher.id"],
            name=op.f("fk_carnet_transaction_archive_voucher_id_voucher"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carnet_transaction_archive")),
    )
    with op.batch_alter_table("carnet_transaction_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_carnet_transaction_archive_carnet_id_committed_at",
            ["carnet_id", "committed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_carnet_transaction_archive_verification_code_hash",
            ["verification_code_hash"],
            unique=False,
        )

    op.create_table(
        "cancellation_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("territory_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customs_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("office_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("officer_name", sa.String(length=200), autoincrement=False, nullable=False),
        sa.Column("office_name", sa.String(length=160), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=1000), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_cancellation_archive_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customs_id"],
            ["customs_administration.id"],
            name=op.f("fk_cancellation_archive_customs_id_customs_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_cancellation_archive_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_cancellation_archive_territory_id_customs_territory"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["carnet_transaction_archive.id"],
            name=op.f("fk_cancellation_archive_transaction_id_carnet_transaction_archive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_archive")),
    )
    with op.batch_alter_table("cancellation_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cancellation_archive_transaction_id", ["transaction_id"], unique=False
        )

    op.create_table(
        "transaction_item_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("goods_item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("quantity", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line", sa.String(length=16), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["goods_item_id"],
            ["goods_item.id"],
            name=op.f("fk_transaction_item_archive_goods_item_id_goods_item"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["carnet_transaction_archive.id"],
            name=op.f("fk_transaction_item_archive_transaction_id_carnet_transaction_archive"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_item_archive")),
    )
    with op.batch_alter_table("transaction_item_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transaction_item_archive_transaction_id", ["transaction_id"], unique=False
        )

    op.create_table(
        "archived_year_count",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["customs_territory.id"],
            name=op.f("fk_archived_year_count_territory_id_customs_territory"),
        ),
        sa.PrimaryKeyConstraint("territory_id", "year", name=op.f("pk_archived_year_count")),
    )
    with op.batch_alter_table("carnet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_carnet_unarchived_valid_until",
        "carnet",
        ["valid_until", "id"],
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UP)

    with op.batch_alter_table("holder_notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_holder_notification_transaction_id_carnet_transaction"),
            type_="foreignkey",
        )

    with op.batch_alter_table("predeclaration", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_predeclaration_transaction_id_carnet_transaction"), type_="foreignkey"
        )


def downgrade() -> None:
    # archived transactions are committed customs records: a downgrade that dropped the
    # archive tables would lose them, so it is refused while any carnet is archived
    archived = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM carnet WHERE archived_at IS NOT NULL"))
        .scalar()
    )
    if archived:
        raise RuntimeError(
            f"Refusing to downgrade below 0020: {archived} carnet(s) are archived and their "
            "transactions live only in the archive tables. Nothing was changed."
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DOWN)
    with op.batch_alter_table("predeclaration", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_predeclaration_transaction_id_carnet_transaction"),
            "carnet_transaction",
            ["transaction_id"],
            ["id"],
        )

    with op.batch_alter_table("holder_notification", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_holder_notification_transaction_id_carnet_transaction"),
            "carnet_transaction",
            ["transaction_id"],
            ["id"],
        )

    op.drop_index("ix_carnet_unarchived_valid_until", table_name="carnet")
    with op.batch_alter_table("carnet", schema=None) as batch_op:
        batch_op.drop_column("archived_at")

    with op.batch_alter_table("transaction_item_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_transaction_item_archive_transaction_id")

    op.drop_table("archived_year_count")
    op.drop_table("transaction_item_archive")
    with op.batch_alter_table("cancellation_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_cancellation_archive_transaction_id")

    op.drop_table("cancellation_archive")
    with op.batch_alter_table("carnet_transaction_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_carnet_transaction_archive_verification_code_hash")
        batch_op.drop_index("ix_carnet_transaction_archive_carnet_id_committed_at")

    op.drop_table("carnet_transaction_archive")
    with op.batch_alter_table("carnet_territory_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_carnet_territory_archive_territory_id_carnet_id")

    op.drop_table("carnet_territory_archive")
