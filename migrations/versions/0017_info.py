"""information pages and the operator's console (F-80 … F-82): operators and their sessions,
news and who read them, help pages, and the search index — SQLite FTS5 (`search_fts`, kept in
step with `search_entry` by triggers) or PostgreSQL full-text search (`search_entry.tsv`, built
by a trigger with the dictionary of the entry's language; GIN index). docs/information.md

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# the dictionary of each language of the portal (others: 'simple', no stemming)
PG_UP = [
    "ALTER TABLE search_entry ADD COLUMN tsv tsvector",
    """
CREATE FUNCTION eata_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cfg regconfig := CASE NEW.language WHEN 'en' THEN 'english' WHEN 'fr' THEN 'french'
                   WHEN 'es' THEN 'spanish' ELSE 'simple' END;
  title text := coalesce(NEW.title, '');
  body text := coalesce(NEW.body, '');
BEGIN
  -- each text also without its accents (no unaccent extension needed): "geneve" finds "Genève"
  NEW.tsv := setweight(to_tsvector(cfg, title), 'A')
          || setweight(to_tsvector(cfg, translate(title, 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿœæÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŒÆ', 'aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYOA')), 'A')
          || setweight(to_tsvector(cfg, body), 'B')
          || setweight(to_tsvector(cfg, translate(body, 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿœæÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŒÆ', 'aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYOA')), 'B');
  RETURN NEW;
END $$""",
    "CREATE TRIGGER search_entry_tsv BEFORE INSERT OR UPDATE ON search_entry "
    "FOR EACH ROW EXECUTE FUNCTION eata_search_tsv()",
    "CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv)",
]

# FTS5 over title and body, contents read from search_entry (external content)
SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entry', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]


def upgrade() -> None:
    op.create_table('help_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_page')),
    sa.UniqueConstraint('slug', 'language', name=op.f('uq_help_page_slug_language'))
    )
    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret_enc', sa.Text(), nullable=True),
    sa.Column('totp_last_counter', sa.Integer(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator')),
    sa.UniqueConstraint('email', name=op.f('uq_operator_email'))
    )
    op.create_table('search_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
    sa.UniqueConstraint('kind', 'ref', 'language', name=op.f('uq_search_entry_kind_ref_language'))
    )
    op.create_table('news_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['operator.id'], name=op.f('fk_news_item_author_id_operator'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_item'))
    )
    with op.batch_alter_table('news_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_news_item_publish_at'), ['publish_at'], unique=False)

    op.create_table('operator_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('mfa_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_operator_session_operator_id_operator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_session'))
    )
    with op.batch_alter_table('operator_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_session_operator_id'), ['operator_id'], unique=False)

    op.create_table('news_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('news_id', sa.Integer(), nullable=False),
    sa.Column('reader', sa.String(length=40), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['news_id'], ['news_item.id'], name=op.f('fk_news_read_news_id_news_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_read')),
    sa.UniqueConstraint('news_id', 'reader', name=op.f('uq_news_read_news_id_reader'))
    )
    with op.batch_alter_table('news_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_news_read_reader'), ['reader'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:
            op.execute(statement)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_entry_tsv ON search_entry")
        op.execute("DROP FUNCTION eata_search_tsv()")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER search_entry_{name}")
        op.execute("DROP TABLE search_fts")
    with op.batch_alter_table('news_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_news_read_reader'))

    op.drop_table('news_read')
    with op.batch_alter_table('operator_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_session_operator_id'))

    op.drop_table('operator_session')
    with op.batch_alter_table('news_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_news_item_publish_at'))

    op.drop_table('news_item')
    op.drop_table('search_entry')
    op.drop_table('operator')
    op.drop_table('help_page')
