"""Grave right holders are matched by a key of name and address compared without case in Python (casefold), not by the database's lower(), which SQLite applies to ASCII only

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:20:00

"""

import hashlib
import json
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _key(name, street, postcode, city):
    """cemetery.models.contact_key as of this revision (copied: a migration
    must not change when the models do)."""
    folded = json.dumps(
        [
            " ".join(unicodedata.normalize("NFKC", part).casefold().split()) if part else ""
            for part in (name, street, postcode, city)
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(folded.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table("cemetery_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_key", sa.String(length=64), nullable=True))
    contact = sa.table(
        "cemetery_contact",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("street", sa.String),
        sa.column("postcode", sa.String),
        sa.column("city", sa.String),
        sa.column("match_key", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            contact.c.id, contact.c.name, contact.c.street, contact.c.postcode, contact.c.city
        )
    ).all()
    if rows:
        conn.execute(
            contact.update()
            .where(contact.c.id == sa.bindparam("contact_id"))
            .values(match_key=sa.bindparam("key")),
            [{"contact_id": row[0], "key": _key(*row[1:])} for row in rows],
        )
    with op.batch_alter_table("cemetery_contact", schema=None) as batch_op:
        batch_op.alter_column("match_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_cemetery_contact_match", ["tenant_id", "match_key"], unique=False)


def downgrade():
    with op.batch_alter_table("cemetery_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_cemetery_contact_match")
        batch_op.drop_column("match_key")
