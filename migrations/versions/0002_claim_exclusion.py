"""Claims may not overlap on one unit (PostgreSQL exclusion constraint).

Written by hand: autogenerate knows nothing of EXCLUDE. On SQLite the same
rule is enforced by the conflict engine under BEGIN IMMEDIATE.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE claim ADD CONSTRAINT ex_claim_unit_period "
        "EXCLUDE USING gist (unit_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        "WHERE (active)"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE claim DROP CONSTRAINT IF EXISTS ex_claim_unit_period")
