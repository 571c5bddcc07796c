"""Canaries: each test starts on empty tables, whichever runs first."""

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant


@pytest.mark.parametrize("canary", ["first", "second"])
def test_each_test_starts_empty_and_leaves_its_rows_behind_for_no_one(app, canary):
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 0
    create_tenant("canary", f"Canary {canary}")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1
