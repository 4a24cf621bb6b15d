"""catalog: per-product summaries (on sale, best offer and price, supplier count, stock) and their indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The same rule as storefront.catalog.summary, in SQL, to fill the columns for goods that already exist.
SELLABLE = ("FROM offers o JOIN shops s ON s.id = o.shop_id "
            "WHERE o.product_id = products.id AND o.is_active AND s.accepting_orders")
BACKFILL = [
    f"""UPDATE products SET
        best_offer_id = (SELECT o.id {SELLABLE}
                         ORDER BY CASE WHEN o.quantity > 0 THEN 0 ELSE 1 END, o.price, o.id LIMIT 1),
        offer_count = (SELECT count(DISTINCT o.shop_id) {SELLABLE}),
        in_stock = EXISTS (SELECT 1 {SELLABLE} AND o.quantity > 0)""",
    """UPDATE products SET
        best_price = (SELECT price FROM offers WHERE offers.id = products.best_offer_id),
        best_price_rrc = (SELECT price_rrc FROM offers WHERE offers.id = products.best_offer_id),
        on_sale = products.is_active AND products.best_offer_id IS NOT NULL
                  AND EXISTS (SELECT 1 FROM categories c WHERE c.id = products.category_id AND c.is_active)""",
    # Summaries only describe goods on sale (see summary.NOT_ON_SALE).
    """UPDATE products SET best_offer_id = NULL, best_price = NULL, best_price_rrc = NULL, offer_count = 0,
        in_stock = false WHERE NOT on_sale""",
]


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_sale', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('best_offer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('best_price', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('best_price_rrc', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('offer_count', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('in_stock', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_products_on_sale_created', ['on_sale', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_products_on_sale_name', ['on_sale', 'name', 'id'], unique=False)
        batch_op.create_index('ix_products_on_sale_price', ['on_sale', 'best_price', 'id'], unique=False)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_on_sale_price')
        batch_op.drop_index('ix_products_on_sale_name')
        batch_op.drop_index('ix_products_on_sale_created')
        batch_op.drop_column('in_stock')
        batch_op.drop_column('offer_count')
        batch_op.drop_column('best_price_rrc')
        batch_op.drop_column('best_price')
        batch_op.drop_column('best_offer_id')
        batch_op.drop_column('on_sale')
