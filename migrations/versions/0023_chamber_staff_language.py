"""the chamber portal's language switch (F-83): the language a chamber staff member chose
(`chamber_staff.language`; NULL: the browser's)

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chamber_staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chamber_staff", schema=None) as batch_op:
        batch_op.drop_column("language")
