"""i18n (F-83): the language of an administration (its default), of a customs account and of a
holder (None = not chosen: the administration's default, or the browser's language), and the
time zone a holder chose for the wallet (docs/i18n.md)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customs_administration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="en")
        )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=5), nullable=True)
    # nobody chose "en": it was the column's default; from now on an account without a choice
    # follows its administration's default language (which is "en" for every existing one)
    op.execute("UPDATE account SET language = NULL WHERE language = 'en'")
    with op.batch_alter_table("holder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holder", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("language")
    op.execute("UPDATE account SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=5), nullable=False)
    with op.batch_alter_table("customs_administration", schema=None) as batch_op:
        batch_op.drop_column("language")
