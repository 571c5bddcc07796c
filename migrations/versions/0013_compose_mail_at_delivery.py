"""Mail is composed at delivery: the outbox holds what to write (kind, locale, context, attachment maker) until then

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("attachment_maker", sa.String(length=60), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=True)


def downgrade():
    # Mail not yet composed cannot be kept without its text.
    op.execute("DELETE FROM outbox_message WHERE body_text IS NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("attachment_maker")
        batch_op.drop_column("context")
        batch_op.drop_column("locale")
        batch_op.drop_column("kind")
