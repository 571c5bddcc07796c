"""The backup procedure of docs/deploy.md, run for real: ``pg_dump`` of a
database with bookings, ``pg_restore`` into a fresh database, and the smoke
test (``tools/smoke.py``) on the restored copy: health check green, pages
answer, the exclusion constraint back; the booking is there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from booking.extensions import db
from booking.reservations import service as bookings
from tests.conftest import CI, TEST_DATABASE_URL
from tests.times import at

pytestmark = pytest.mark.postgres_only
RESTORED = "kb_restore_check"
ROOT = Path(__file__).resolve().parents[2]


def _server(url: str) -> str:
    return url.rsplit("/", 1)[0]


@pytest.fixture
def tools() -> None:
    if shutil.which("pg_dump") and shutil.which("pg_restore"):
        return
    if CI:
        pytest.fail("CI=true needs pg_dump and pg_restore (apt-get install -y postgresql-client)")
    pytest.skip("pg_dump/pg_restore not found: apt-get install -y postgresql-client")


def test_dump_and_restore_into_a_fresh_database(
    app, tools, tmp_path, tenant, citizen, make_resource, day
):
    hall = make_resource("Bürgerhaus")
    start, end = at(day, "18:00"), at(day, "22:00")
    kept = bookings.create_booking(tenant, citizen, hall, start, end, "Chorprobe").booking
    db.session.commit()
    dump = tmp_path / "kommunalbuchung.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", TEST_DATABASE_URL],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(f"{_server(TEST_DATABASE_URL)}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {RESTORED}")
    restored_url = f"{_server(TEST_DATABASE_URL)}/{RESTORED}"
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(dump)],
        check=True,
        capture_output=True,
    )
    try:
        smoke = subprocess.run(
            [sys.executable, "tools/smoke.py", restored_url],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr
        assert "overlapping claims are refused" in smoke.stdout
        assert "1 bookings" in smoke.stdout
        with psycopg.connect(restored_url) as conn:
            (title,) = conn.execute(
                "SELECT title FROM booking WHERE id = %s", (kept.id,)
            ).fetchone()
        assert title == "Chorprobe"
    finally:
        with psycopg.connect(f"{_server(TEST_DATABASE_URL)}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)")
