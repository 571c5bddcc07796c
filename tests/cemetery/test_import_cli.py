"""``flask cemetery import FILE --tenant SLUG [--cemetery ID] [--dry-run]``:
exit codes, nothing written on any error or with --dry-run; the demo
cemetery imports the example register."""

from __future__ import annotations

from sqlalchemy import func, select

from booking.extensions import db
from cemetery.models import Burial, Cemetery, GraveRight, Plot, Section
from tests.cemetery.test_import import EXAMPLE, GOOD, csv_bytes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def write(tmp_path, *rows: str, name: str = "register.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(*rows))
    return path


def test_dry_run_prints_the_report_and_writes_nothing(runner, tenant, cemetery, tmp_path):
    path = write(tmp_path, *GOOD)
    result = runner.invoke(
        args=["cemetery", "import", str(path), "--tenant", tenant.slug, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Zeile 2: Grabstätte B-04-12 neu (Wahlgrab)" in result.output
    assert "Dry run: nothing written." in result.output
    db.session.expire_all()
    assert count(Plot) == 0 and count(Burial) == 0


def test_import_writes_and_commits(runner, tenant, cemetery, tmp_path):
    path = write(tmp_path, *GOOD)
    result = runner.invoke(
        args=[
            "cemetery",
            "import",
            str(path),
            "--tenant",
            tenant.slug,
            "--cemetery",
            str(cemetery.id),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Imported into 'Friedhof Musterhausen'" in result.output
    db.session.rollback()  # what the command committed is there
    assert (count(Plot), count(GraveRight), count(Burial)) == (3, 2, 3)


def test_a_bad_file_exits_non_zero_and_writes_nothing(runner, tenant, cemetery, tmp_path):
    path = write(tmp_path, *GOOD, "B;04;14;Familiengruft;;;;;;;;;")
    result = runner.invoke(args=["cemetery", "import", str(path), "--tenant", tenant.slug])
    assert result.exit_code != 0
    assert "Zeile 6: FEHLER: Unbekannte Grabart „Familiengruft“" in result.output
    assert "nothing imported" in result.output
    db.session.rollback()
    assert count(Plot) == 0 and count(Section) == 0
    # … with --dry-run too.
    result = runner.invoke(
        args=["cemetery", "import", str(path), "--tenant", tenant.slug, "--dry-run"]
    )
    assert result.exit_code != 0


def test_tenant_and_cemetery_must_be_known(
    runner, tenant, cemetery, make_cemetery, tmp_path, make_tenant
):
    path = write(tmp_path, *GOOD)
    result = runner.invoke(args=["cemetery", "import", str(path), "--tenant", "nirgendwo"])
    assert result.exit_code != 0 and "No municipality" in result.output
    other = make_cemetery("Anderswo", of_tenant=make_tenant("anderswo"))
    result = runner.invoke(
        args=["cemetery", "import", str(path), "--tenant", tenant.slug, "--cemetery", str(other.id)]
    )
    assert result.exit_code != 0 and f"No cemetery with id {other.id}" in result.output
    make_cemetery("Friedhof Ost")
    result = runner.invoke(args=["cemetery", "import", str(path), "--tenant", tenant.slug])
    assert result.exit_code != 0 and "Several cemeteries" in result.output
    result = runner.invoke(
        args=["cemetery", "import", str(tmp_path / "missing.csv"), "--tenant", tenant.slug]
    )
    assert result.exit_code != 0
    db.session.rollback()
    assert count(Plot) == 0


def test_a_tenant_without_cemetery(runner, tenant, tmp_path):
    path = write(tmp_path, *GOOD)
    result = runner.invoke(args=["cemetery", "import", str(path), "--tenant", tenant.slug])
    assert result.exit_code != 0 and "has no cemetery" in result.output


def test_example_register_through_the_cli(runner, tenant, cemetery):
    result = runner.invoke(args=["cemetery", "import", str(EXAMPLE), "--tenant", tenant.slug])
    assert result.exit_code == 0, result.output[-2000:]
    db.session.rollback()
    assert count(Plot) >= 45


def test_demo_cemetery_has_the_example_register(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.rollback()
    cemetery = db.session.scalar(select(Cemetery))
    sections = set(
        db.session.scalars(select(Section.name).where(Section.cemetery_id == cemetery.id))
    )
    assert {"A", "B", "C", "D", "K"} <= sections
    assert count(Plot) >= 45 and count(GraveRight) >= 40 and count(Burial) >= 50
    statuses = set(db.session.scalars(select(Burial.status)))
    assert statuses == {"done"}
    assert db.session.scalar(select(func.count()).where(Burial.public_listing.is_(True))) > 0
