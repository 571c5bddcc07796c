"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from booking.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.postgres_only
def test_postgresql_has_the_claim_exclusion_constraint(app):
    with db.engine.connect() as conn:
        names = {c["name"] for c in inspect(conn).get_check_constraints("claim")}
        rows = conn.exec_driver_sql(
            "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = 'claim'::regclass"
        ).all()
    assert [r[0] for r in rows] == ["ex_claim_unit_period"]
    assert "ck_claim_ordered" in names
