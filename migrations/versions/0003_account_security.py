"""Account security: one working reset link per user, personal mail kept out
of the staff outbox, invitations to organisations.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reset_nonce", sa.String(length=32), nullable=True))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("personal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Account mail queued before this migration: hide it from staff too.
    op.execute(
        "UPDATE outbox_message SET personal = true, tenant_id = NULL "
        "WHERE key LIKE 'confirm:%' OR key LIKE 'reset:%' OR key LIKE 'exists:%'"
    )

    op.create_table(
        "organisation_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("is_manager", sa.Boolean(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user_account.id"],
            name=op.f("fk_organisation_invitation_invited_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_invitation_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_organisation_invitation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_invitation")),
    )
    with op.batch_alter_table("organisation_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_invitation_email"), ["email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_invitation_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_invitation_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade():
    op.drop_table("organisation_invitation")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("personal")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("reset_nonce")
