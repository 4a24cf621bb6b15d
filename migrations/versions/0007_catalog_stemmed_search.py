"""catalog: stemmed search (Snowball stems column for SQLite, a Russian full-text index on PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    # The stems are made in Python (the same Snowball stemmers the app uses), so existing goods are filled here.
    from storefront.catalog.search_text import search_stems_for

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_stems', sa.Text(), server_default='', nullable=False))
    bind = op.get_bind()
    products = sa.table('products', sa.column('id', sa.Integer), sa.column('search_text', sa.Text),
                        sa.column('search_stems', sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(products.c.id, products.c.search_text).where(products.c.id > last)
                            .order_by(products.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(products.update().where(products.c.id == sa.bindparam('pid'))
                     .values(search_stems=sa.bindparam('stems')),
                     [{'pid': row.id, 'stems': search_stems_for(row.search_text or '')} for row in rows])
        last = rows[-1].id
    if bind.dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_products_search_fts ON products "
                   "USING gin (to_tsvector('russian'::regconfig, search_text))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_products_search_fts', table_name='products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('search_stems')
