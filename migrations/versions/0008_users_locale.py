"""accounts: the interface language a user chose (users.locale)

Kept in the profile so the choice follows the account to every device at log-in; NULL (everyone so far) leaves
it to the browser's Accept-Language and the shop's default.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
