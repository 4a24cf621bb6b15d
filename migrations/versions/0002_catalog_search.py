"""catalog: product soft delete and trigram search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # GIN trigram index on PostgreSQL (serves LIKE '%term%'); an empty partial index on SQLite, where a
    # b-tree could not serve substring search anyway (see Product.__table_args__).
    op.create_index(
        'ix_products_search_text_trgm', 'products', ['search_text'], unique=False,
        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'}, sqlite_where=sa.text('0'),
    )


def downgrade():
    op.drop_index('ix_products_search_text_trgm', table_name='products')
    # pg_trgm stays: other objects may have come to rely on it.
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('is_active')
