"""The import of an existing register (cemetery.importer): the dry run's
report, each problem it finds, nothing written unless the whole file is
clean, encodings, delimiters, XLSX, German dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.extensions import db
from cemetery import importer
from cemetery.models import Burial, Contact, GraveRight, GraveRightEvent, Plot, Section
from tests.cemetery.conftest import grave_type_of

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)
EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "cemetery_register.example.csv"
HEADER = (
    "Feld;Reihe;Nummer;Grabart;Nutzungsberechtigter;Nutzungsrecht ab;Nutzungsrecht bis;"
    "Verstorbene/r;geboren;gestorben;Bestattungsdatum;Sarg/Urne;Veröffentlichung"
)
MODELS = (Section, Plot, Contact, GraveRight, GraveRightEvent, Burial, AuditEntry)


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def run(tenant, cemetery, data: bytes, dry_run: bool = False, **kwargs):
    report = importer.import_register(
        tenant, None, cemetery, data, filename="register.csv", dry_run=dry_run, now=NOW, **kwargs
    )
    db.session.commit()
    return report


def problems(report) -> list[str]:
    return [*report.problems, *(p for row in report.rows for p in row.problems)]


def assert_refused(report, *fragments: str) -> None:
    assert not report.ok and not report.written
    text = "\n".join(problems(report))
    for fragment in fragments:
        assert fragment in text, text


GOOD = (
    "B;04;12;Wahlgrab;Erika Muster;01.03.2001;28.02.2041;Hans Muster;12.05.1930;"
    "20.02.2001;01.03.2001;Sarg;ja",
    "B;04;12;Wahlgrab;Erika Muster;;;Gisela Muster;1.2.1935;3.4.2010;10.4.2010;Urne;nein",
    "B;04;13;Wahlgrab;Karl Beispiel;2015-06-01;2045-06-01;;;;;;",
    "D;;001;Anonymes Urnenfeld;;;;Otto Niemand;;05.05.2020;12.05.2020;;",
)


def test_dry_run_reports_per_row_and_writes_nothing(tenant, cemetery):
    before = counts()
    report = run(tenant, cemetery, csv_bytes(*GOOD), dry_run=True)
    assert report.ok, problems(report)
    assert not report.written
    assert counts() == before
    assert [row.number for row in report.rows] == [2, 3, 4, 5]
    first, second, third, fourth = report.rows
    assert (first.code, first.plot, first.right, first.burial) == ("B-04-12", "new", "new", "new")
    assert (second.plot, second.right, second.burial) == ("again", "again", "new")
    assert (third.code, third.right, third.burial) == ("B-04-13", "new", None)
    assert (fourth.code, fourth.right, fourth.burial) == ("D-001", None, "new")
    assert report.counts == {"sections": 2, "plots": 3, "contacts": 2, "rights": 2, "burials": 3}
    assert any("Grabstätte B-04-12 neu (Wahlgrab)" in line for line in first.summary())
    assert any(
        "Hans Muster" in line and "Ruhezeit bis 01.03.2026" in line for line in first.summary()
    )


def test_clean_file_is_written(tenant, cemetery):
    report = run(tenant, cemetery, csv_bytes(*GOOD))
    assert report.ok and report.written, problems(report)
    plots = {p.code: p for p in db.session.scalars(select(Plot))}
    assert set(plots) == {"B-04-12", "B-04-13", "D-001"}
    plot = plots["B-04-12"]
    assert (plot.row, plot.number, plot.grave_type_id) == (
        "04",
        "12",
        grave_type_of(tenant, "wahlgrab").id,
    )
    assert plot.section.name == "B"
    right = db.session.scalar(select(GraveRight).where(GraveRight.plot_id == plot.id))
    assert (right.start_date, right.end_date, right.status) == (
        date(2001, 3, 1),
        date(2041, 2, 28),
        "active",
    )
    assert right.holder.name == "Erika Muster"
    assert [e.kind for e in right.events] == ["imported"]
    burials = db.session.scalars(
        select(Burial).where(Burial.plot_id == plot.id).order_by(Burial.burial_date)
    ).all()
    assert [(b.deceased_name, b.kind, b.place, b.status) for b in burials] == [
        ("Hans Muster", "coffin", 1, "done"),
        ("Gisela Muster", "urn", 1, "done"),
    ]
    assert burials[0].rest_until == date(2026, 3, 1)  # 25 years, coffin
    assert burials[1].rest_until == date(2030, 4, 10)  # 20 years, urn
    assert burials[0].public_listing is True and burials[1].public_listing is False
    assert burials[0].deceased_name_key == "hans muster"
    assert all(b.right_id == right.id for b in burials)
    anonymous = db.session.scalar(select(Burial).where(Burial.plot_id == plots["D-001"].id))
    assert anonymous.right_id is None and anonymous.kind == "urn"  # from the grave type
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cemetery.import")
    ).all()
    assert len(entries) == 1 and entries[0].after["burials"] == 3


def test_reimporting_the_same_file_creates_nothing_new(tenant, cemetery):
    assert run(tenant, cemetery, csv_bytes(*GOOD)).written
    before = counts()
    report = run(tenant, cemetery, csv_bytes(*GOOD))
    assert report.ok, problems(report)
    assert report.counts == {"sections": 0, "plots": 0, "contacts": 0, "rights": 0, "burials": 0}
    assert report.rows[0].plot == "existing" and report.rows[0].burial == "existing"
    after = counts()
    assert after["AuditEntry"] == before["AuditEntry"] + 1
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before.items() if k != "AuditEntry"
    }


def test_example_register_imports_cleanly(tenant, cemetery):
    data = EXAMPLE.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    report = run(tenant, cemetery, data)
    assert report.ok, problems(report)[:10]
    assert len(report.rows) >= 55
    assert report.counts["burials"] >= 50 and report.counts["sections"] >= 4
