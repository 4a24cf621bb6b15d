"""documents: shops' legal details, and yearly document numbers (invoices, packing slips)

shop_legal_details: one row per shop (the seller on its invoices); vat_rate NULL means "без НДС".
document_counters: the last number per (kind, year), the row each issuer locks; issued_documents: the
number given to one supplier part's invoice or packing slip (once per part and kind, unique per year).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop_legal_details',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('kpp', sa.String(length=9), nullable=False),
    sa.Column('ogrn', sa.String(length=15), nullable=False),
    sa.Column('legal_address', sa.String(length=500), nullable=False),
    sa.Column('bank_name', sa.String(length=300), nullable=False),
    sa.Column('bik', sa.String(length=9), nullable=False),
    sa.Column('account', sa.String(length=20), nullable=False),
    sa.Column('vat_rate', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('vat_rate IS NULL OR (vat_rate >= 0 AND vat_rate <= 30)',
                       name=op.f('ck_shop_legal_details_vat_rate_range')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_legal_details_shop_id_shops'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_legal_details'))
    )
    op.create_table('document_counters',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_document_counters'))
    )
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('invoice', 'packing_slip')", name=op.f('ck_issued_documents_kind_known')),
    sa.ForeignKeyConstraint(['part_id'], ['order_parts.id'], name=op.f('fk_issued_documents_part_id_order_parts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents')),
    sa.UniqueConstraint('kind', 'year', 'number', name=op.f('uq_issued_documents_kind_year_number')),
    sa.UniqueConstraint('part_id', 'kind', name=op.f('uq_issued_documents_part_id_kind'))
    )


def downgrade():
    op.drop_table('issued_documents')
    op.drop_table('document_counters')
    op.drop_table('shop_legal_details')
