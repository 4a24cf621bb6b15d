"""suppliers: uploaded price lists in a table of their own (import_payloads), out of the import_jobs row

SQLite rewrites a whole row on any update: with the upload in the job's row, every change of the job's state or
progress rewrote the whole upload (tens of MB for a large list).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Waiting uploads move through a table without a foreign key: on SQLite, dropping the column rebuilds
    # import_jobs, and with foreign keys on, dropping the old import_jobs would cascade to rows that already
    # pointed at it.
    op.create_table('import_payloads_moving',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    )
    op.execute("INSERT INTO import_payloads_moving (import_id, text) "
               "SELECT id, payload FROM import_jobs WHERE payload IS NOT NULL")
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('payload')

    op.create_table('import_payloads',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['import_jobs.id'], name=op.f('fk_import_payloads_import_id_import_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', name=op.f('pk_import_payloads'))
    )
    op.execute("INSERT INTO import_payloads (import_id, text) SELECT import_id, text FROM import_payloads_moving")
    op.drop_table('import_payloads_moving')


def downgrade():
    # ADD COLUMN needs no rebuild of import_jobs, so the uploads can be copied back before their table goes.
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.Text(), nullable=True))
    op.execute("UPDATE import_jobs SET payload = "
               "(SELECT text FROM import_payloads WHERE import_payloads.import_id = import_jobs.id)")
    op.drop_table('import_payloads')
