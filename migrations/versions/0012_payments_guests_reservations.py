"""payments, guest checkout, stock held during checkout

- orders: payment_method, payment_status and the running totals paid_amount / refunded_amount (existing
  orders: bank transfer, unpaid); guest orders (user_id empty, guest_email / guest_name, their own
  idempotency scope); an index for the overdue-payment job.
- payments: every payment and refund of an order (or of one supplier's part).
- stock_reservations: the units a cart holds while its owner checks out (already taken off offers.quantity).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guest_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('guest_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('payment_method', sa.String(length=32), nullable=False,
                                      server_default='bank_transfer'))
        batch_op.add_column(sa.Column('payment_status', sa.String(length=20), nullable=False,
                                      server_default='unpaid'))
        batch_op.add_column(sa.Column('paid_amount', MONEY, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('refunded_amount', MONEY, nullable=False, server_default='0'))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(op.f('uq_orders_guest_email_idempotency_key'), ['guest_email', 'idempotency_key'])
        batch_op.create_check_constraint(op.f('ck_orders_has_buyer'), 'user_id IS NOT NULL OR guest_email IS NOT NULL')
        batch_op.create_check_constraint(op.f('ck_orders_payments_not_negative'), 'paid_amount >= 0 AND refunded_amount >= 0')
        batch_op.create_index('ix_orders_payment_due', ['payment_method', 'payment_status', 'created_at'],
                              unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint("kind IN ('payment', 'refund')", name=op.f('ck_payments_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_payments_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['order_parts.id'], name=op.f('fk_payments_part_id_order_parts'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_part_id'), ['part_id'], unique=False)

    op.create_table('stock_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('session_key', sa.String(length=64), nullable=True),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_reservations_quantity_positive')),
    sa.CheckConstraint('(user_id IS NOT NULL AND session_key IS NULL) OR (user_id IS NULL AND session_key IS NOT NULL)',
                       name=op.f('ck_stock_reservations_one_owner')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_stock_reservations_offer_id_offers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_reservations_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_reservations')),
    sa.UniqueConstraint('session_key', 'offer_id', name=op.f('uq_stock_reservations_session_key_offer_id')),
    sa.UniqueConstraint('user_id', 'offer_id', name=op.f('uq_stock_reservations_user_id_offer_id'))
    )
    with op.batch_alter_table('stock_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_reservations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_reservations_offer_id'), ['offer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_reservations_offer_id'))
        batch_op.drop_index(batch_op.f('ix_stock_reservations_expires_at'))
    op.drop_table('stock_reservations')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_part_id'))
        batch_op.drop_index(batch_op.f('ix_payments_order_id'))
    op.drop_table('payments')
    # Guest orders have no account to fall back on: they cannot survive the NOT NULL user_id of before.
    op.execute("DELETE FROM orders WHERE user_id IS NULL")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_payment_due')
        batch_op.drop_constraint(op.f('ck_orders_payments_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_orders_has_buyer'), type_='check')
        batch_op.drop_constraint(op.f('uq_orders_guest_email_idempotency_key'), type_='unique')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('paid_amount')
        batch_op.drop_column('payment_status')
        batch_op.drop_column('payment_method')
        batch_op.drop_column('guest_name')
        batch_op.drop_column('guest_email')
