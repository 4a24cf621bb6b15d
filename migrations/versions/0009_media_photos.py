"""media: photos of goods (media_assets, media_sources, offer_images), products.photo_hash, import warnings

An image is stored once by its SHA-256 (media_assets); a URL already downloaded says what it gave
(media_sources), so later imports do not fetch it again; offer_images keeps each good's photos in the price
list's order with the URL as written (the export writes it back). products.photo_hash is the card's photo.
import_jobs.warnings holds problems that did not stop an import (a photo that could not be fetched).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_assets',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('original_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_media_assets'))
    )
    op.create_table('media_sources',
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('asset_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_hash'], ['media_assets.hash'], name=op.f('fk_media_sources_asset_hash_media_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_media_sources'))
    )
    with op.batch_alter_table('media_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_sources_asset_hash'), ['asset_hash'], unique=False)
    op.create_table('offer_images',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('asset_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['asset_hash'], ['media_assets.hash'], name=op.f('fk_offer_images_asset_hash_media_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_images_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_images'))
    )
    with op.batch_alter_table('offer_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_images_asset_hash'), ['asset_hash'], unique=False)
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_hash', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_products_photo_hash_media_assets'), 'media_assets', ['photo_hash'], ['hash'], ondelete='SET NULL')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('warnings')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_products_photo_hash_media_assets'), type_='foreignkey')
        batch_op.drop_column('photo_hash')
    with op.batch_alter_table('offer_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_images_asset_hash'))
    op.drop_table('offer_images')
    with op.batch_alter_table('media_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_sources_asset_hash'))
    op.drop_table('media_sources')
    op.drop_table('media_assets')
