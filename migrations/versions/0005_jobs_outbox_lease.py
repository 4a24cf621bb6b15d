"""jobs: outbox rows hold a lease (lease_until) and a run claim (running_until)

A row handed to RQ but never done (Redis restarted empty, a worker died) is dispatched again once its lease
runs out; the claim keeps two copies of one row from running at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:43:26.463534

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('running_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_pending'))
        batch_op.create_index('ix_outbox_messages_due', ['completed_at', 'lease_until'], unique=False)
    # Rows waiting now are due at once: the old relay would have re-sent only those never dispatched, and the
    # new one checks with Redis before it sends a row again.
    op.execute("UPDATE outbox_messages SET lease_until = COALESCE(dispatched_at, created_at) "
               "WHERE completed_at IS NULL")


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.create_index(batch_op.f('ix_outbox_messages_pending'), ['completed_at', 'dispatched_at'], unique=False)
        batch_op.drop_column('running_until')
        batch_op.drop_column('lease_until')
