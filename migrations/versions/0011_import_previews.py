"""suppliers: price-list previews (import state `previewed`, the preview flags and fingerprint on import_jobs,
and the goods a preview would change in import_preview_items)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # ADD VALUE may run in the migration's transaction (PostgreSQL 12+); nothing here uses the new value.
        op.execute("ALTER TYPE import_state ADD VALUE IF NOT EXISTS 'previewed'")
    # SQLite stores the enum as VARCHAR without a CHECK: nothing to change there.
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dry_run', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('confirmation_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('confirmed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('goods_fingerprint', sa.String(length=64), nullable=True))

    op.create_table('import_preview_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('external_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('old_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('new_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('changes', sa.String(length=200), nullable=False),
    sa.CheckConstraint("action IN ('created', 'updated', 'deactivated')",
                       name=op.f('ck_import_preview_items_action_known')),
    sa.ForeignKeyConstraint(['import_id'], ['import_jobs.id'], name=op.f('fk_import_preview_items_import_id_import_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_preview_items'))
    )
    op.create_index('ix_import_preview_items_import', 'import_preview_items', ['import_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_import_preview_items_import', table_name='import_preview_items')
    op.drop_table('import_preview_items')
    # Waiting previews become failed imports: the older schema has no state for them.
    op.execute("UPDATE import_jobs SET state = 'failed' WHERE state = 'previewed'")
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('goods_fingerprint')
        batch_op.drop_column('confirmed')
        batch_op.drop_column('confirmation_required')
        batch_op.drop_column('dry_run')
    # PostgreSQL cannot drop an enum value; 'previewed' stays in import_state, unused.
