"""A new booking's first mail is queued by mail.deliver from the booking (first_mail_due), not by the request that made it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:05:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    # Bookings made before had their first mail queued by their request.
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_mail_due", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_booking_first_mail_due",
            ["id"],
            unique=False,
            postgresql_where=sa.text("first_mail_due"),
            sqlite_where=sa.text("first_mail_due"),
        )


def downgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_booking_first_mail_due",
            postgresql_where=sa.text("first_mail_due"),
            sqlite_where=sa.text("first_mail_due"),
        )
        batch_op.drop_column("first_mail_due")
