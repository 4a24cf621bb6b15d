"""catalog: indexes serving each sort within a category (category, on sale, sort key, id)

Revision ID: 0007c
Revises: 0007b
Create Date: 2026-12-03 13:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007c'
down_revision = '0007b'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_products_category_sale_name': ['category_id', 'on_sale', 'name', 'id'],
    'ix_products_category_sale_created': ['category_id', 'on_sale', 'created_at', 'id'],
    'ix_products_category_sale_price': ['category_id', 'on_sale', 'best_price', 'id'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'products', columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name='products')
