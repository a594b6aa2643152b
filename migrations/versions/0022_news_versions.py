"""news in several languages (F-80): a news item may be another language's version of a first
one (`news_item.version_of`), so readers see one version of each news — in their language,
else English — not all of them (docs/information.md "News")

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("news_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_news_item_version_of"), ["version_of"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_news_item_version_of_news_item"),
            "news_item",
            ["version_of"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("news_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_news_item_version_of_news_item"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_news_item_version_of"))
        batch_op.drop_column("version_of")
