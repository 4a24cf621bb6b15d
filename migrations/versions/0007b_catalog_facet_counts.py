"""catalog: precomputed facets (each product's parameter values per category) and their counts

Revision ID: 0007b
Revises: 0007
Create Date: 2026-12-03 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007b'
down_revision = '0007'
branch_labels = None
depends_on = None

# The goods on sale now, each with the (parameter, value) pairs of its sellable offers, in every category it is
# listed in and in the whole catalog (0); parameter 0 / value '' is the product itself (the totals). The same
# rules as storefront.catalog.summary, which keeps both tables from here on.
LISTED = """
    SELECT p.id AS product_id, p.category_id AS category_id FROM products p WHERE p.on_sale
    UNION SELECT x.product_id, x.category_id FROM product_extra_categories x
        JOIN products p ON p.id = x.product_id WHERE p.on_sale
    UNION SELECT p.id, 0 FROM products p WHERE p.on_sale
"""
VALUES = """
    SELECT DISTINCT o.product_id AS product_id, op.parameter_id AS parameter_id, op.value AS value
    FROM offer_parameters op JOIN offers o ON o.id = op.offer_id JOIN shops s ON s.id = o.shop_id
    JOIN products p ON p.id = o.product_id
    WHERE p.on_sale AND o.is_active AND s.accepting_orders
    UNION SELECT p.id, 0, '' FROM products p WHERE p.on_sale
"""
BACKFILL = [
    f"""INSERT INTO product_facets (product_id, category_id, parameter_id, value)
        SELECT l.product_id, l.category_id, v.parameter_id, v.value
        FROM ({LISTED}) l JOIN ({VALUES}) v ON v.product_id = l.product_id""",
    """INSERT INTO facet_counts (category_id, parameter_id, value, count)
        SELECT category_id, parameter_id, value, count(*) FROM product_facets GROUP BY category_id, parameter_id, value""",
]


def upgrade():
    op.create_table(
        'facet_counts',
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('parameter_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('category_id', 'parameter_id', 'value', name=op.f('pk_facet_counts')),
    )
    op.create_table(
        'product_facets',
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('parameter_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_facets_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', 'category_id', 'parameter_id', 'value', name=op.f('pk_product_facets')),
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade():
    op.drop_table('product_facets')
    op.drop_table('facet_counts')
