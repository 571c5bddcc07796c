"""The migrations build exactly the schema the models describe."""

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect

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


def test_enum_check_constraints_in_the_database_match_the_python_tuples(app):
    """``one_of`` builds CHECK constraints from tuples such as ROLES; a tuple
    changed without a migration would let the database refuse (or accept)
    other values than the code."""
    quoted = re.compile(r"'([a-z_]+)'")
    checked = 0
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        for table in db.metadata.sorted_tables:
            in_db = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
            for constraint in table.constraints:
                if not isinstance(constraint, CheckConstraint):
                    continue
                expected = set(quoted.findall(str(constraint.sqltext)))
                if not expected:
                    continue
                name = next(n for n in in_db if n.endswith(str(constraint.name)))
                assert set(quoted.findall(in_db[name])) == expected, name
                checked += 1
    assert checked >= 4
