"""The import of an existing register (cemetery.importer): the dry run's
report, each problem it finds, nothing written unless the whole file is
clean, encodings, delimiters, XLSX, German dates."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.core import Forbidden, ValidationFailed
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


# --- refusals: each problem, nothing written ------------------------------------------


def refused(tenant, cemetery, *rows: str, header: str = HEADER, fragments=()) -> None:
    before = counts()
    report = run(tenant, cemetery, csv_bytes(*rows, header=header))
    assert_refused(report, *fragments)
    assert counts() == before
    return report


def test_a_bad_row_refuses_the_whole_file(tenant, cemetery):
    report = refused(
        tenant,
        cemetery,
        *GOOD,
        "B;04;14;Familiengruft;;;;;;;;;",
        fragments=("Unbekannte Grabart „Familiengruft“",),
    )
    assert [row.number for row in report.rows_with_problems] == [6]
    assert report.counts == {}


def test_every_problem_of_a_row_is_reported(tenant, cemetery):
    report = refused(
        tenant,
        cemetery,
        ";04;;Familiengruft;;;31.12.2040;Hans Muster;12.13.1930;xx;;Kiste;vielleicht",
    )
    (row,) = report.rows
    text = "\n".join(row.problems)
    for fragment in (
        "Feld fehlt",
        "Nummer fehlt",
        "Unbekannte Grabart",
        "Nutzungsberechtigter fehlt",
        "geboren: „12.13.1930“ ist kein Datum",
        "gestorben: „xx“ ist kein Datum",
        "Bestattungsdatum fehlt",
        "Sarg/Urne: „Kiste“",
        "„vielleicht“ (erwartet: ja oder nein)",
    ):
        assert fragment in text, text


def test_unknown_and_missing_headers(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        "B;12;Wahlgrab;x",
        header="Feld;Nummer;Grabart;Lieblingsfarbe",
        fragments=("Unbekannte Spalte „Lieblingsfarbe“",),
    )
    refused(
        tenant,
        cemetery,
        "B;12",
        header="Feld;Nummer",
        fragments=("Es fehlen die Spalten: Grabart",),
    )
    refused(
        tenant,
        cemetery,
        "B;12;Wahlgrab;Wahlgrab",
        header="Feld;Nummer;Grabart;Grabtyp",
        fragments=("kommt doppelt vor",),
    )


def test_died_after_burial_and_future_burial(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        "B;04;12;Wahlgrab;Erika Muster;;;Hans Muster;;20.03.2001;01.03.2001;Sarg;",
        fragments=("Gestorben (20.03.2001) nach dem Bestattungsdatum (01.03.2001)",),
    )
    refused(
        tenant,
        cemetery,
        "B;04;12;Wahlgrab;Erika Muster;;;Hans Muster;;28.11.2026;10.12.2026;Sarg;",
        fragments=("liegt in der Zukunft",),
    )


def test_rest_period_outside_the_right(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        "B;04;12;Wahlgrab;Erika Muster;01.03.2001;01.03.2020;Hans Muster;;20.02.2001;"
        "01.03.2001;Sarg;",
        fragments=(
            "Die Ruhezeit von Hans Muster endet am 01.03.2026, nach dem Nutzungsrecht für "
            "B-04-12 (bis 01.03.2020)",
        ),
    )


def test_child_rest_period_fits_a_shorter_right(tenant, cemetery):
    # Died aged 5: 15 years (the cemetery's child rest period), not 25.
    report = run(
        tenant,
        cemetery,
        csv_bytes(
            "K;01;01;Kindergrab;Eva Klein;01.03.2001;01.03.2016;Paul Klein;01.01.1996;"
            "20.02.2001;01.03.2001;Sarg;"
        ),
    )
    assert report.ok, problems(report)
    assert db.session.scalar(select(Burial.rest_until)) == date(2016, 3, 1)


def test_overlapping_rest_periods_beyond_the_places(tenant, cemetery):
    # A Reihengrab has one coffin place: a second coffin while the first rests.
    refused(
        tenant,
        cemetery,
        "B;04;01;Reihengrab;;;;Hans Muster;;20.02.2001;01.03.2001;Sarg;",
        "B;04;01;Reihengrab;;;;Gisela Muster;;20.02.2010;01.03.2010;Sarg;",
        fragments=("Überschneidende Ruhezeiten in B-04-01",),
    )
    # … after the first rest period ended the place is free again.
    report = run(
        tenant,
        cemetery,
        csv_bytes(
            "B;04;01;Reihengrab;;;;Hans Muster;;20.02.1970;01.03.1970;Sarg;",
            "B;04;01;Reihengrab;;;;Gisela Muster;;20.02.2010;01.03.2010;Sarg;",
        ),
    )
    assert report.ok, problems(report)
    assert db.session.scalars(select(Burial.place)).all() == [1, 1]
    # An urn field has no coffin place at all.
    refused(
        tenant,
        cemetery,
        "D;;001;Anonymes Urnenfeld;;;;Otto Niemand;;05.05.2020;12.05.2020;Sarg;",
        fragments=("hat keinen Platz für einen Sarg",),
    )


def test_two_coffins_in_a_wahlgrab_take_places_1_and_2(tenant, cemetery):
    report = run(
        tenant,
        cemetery,
        csv_bytes(
            "A;01;01;Wahlgrab;Erika Muster;01.03.2001;01.03.2051;Hans Muster;;"
            "20.02.2001;01.03.2001;Sarg;",
            "A;01;01;Wahlgrab;Erika Muster;;;Gisela Muster;;20.02.2010;01.03.2010;Sarg;",
            "A;01;01;Wahlgrab;Erika Muster;;;Karl Muster;;20.02.2012;01.03.2012;Sarg;",
        ),
    )
    assert_refused(report, "am 01.03.2012 ruhen dort schon 2 Särge")


def test_conflicting_rights_for_one_plot(tenant, cemetery):
    report = refused(
        tenant,
        cemetery,
        "A;01;01;Wahlgrab;Erika Muster;01.03.2001;01.03.2051;;;;;;",
        "A;01;01;Wahlgrab;Karl Anders;01.03.2001;01.03.2051;;;;;;",
        "A;01;01;Wahlgrab;Erika Muster;01.03.2001;01.03.2052;;;;;;",
        "A;01;01;Urnenwahlgrab;Erika Muster;;;;;;;;",
        fragments=(
            "Karl Anders",
            "Nutzungsrecht bis „01.03.2052“",
            "Grabart „Urnenwahlgrab“ widerspricht Zeile 2",
        ),
    )
    assert [row.number for row in report.rows_with_problems] == [3, 4, 5]


def test_existing_plot_with_other_data(tenant, cemetery, make_plot):
    make_plot(cemetery, "B-04-12", "reihengrab", section="B", row="04", number="12")
    refused(
        tenant,
        cemetery,
        *GOOD,
        fragments=("Die Grabstätte B-04-12 gibt es auf dem Friedhof schon, mit anderen Angaben",),
    )


def test_existing_plot_with_other_right(tenant, cemetery):
    assert run(tenant, cemetery, csv_bytes(GOOD[2])).written
    refused(
        tenant,
        cemetery,
        "B;04;13;Wahlgrab;Karl Beispiel;2015-06-01;2050-06-01;;;;;;",
        fragments=("Für B-04-13 besteht schon ein anderes Nutzungsrecht",),
    )


def test_existing_burials_count_for_the_places(tenant, cemetery):
    assert run(
        tenant,
        cemetery,
        csv_bytes("B;04;01;Reihengrab;;;;Hans Muster;;20.02.2001;01.03.2001;Sarg;"),
    ).written
    refused(
        tenant,
        cemetery,
        "B;04;01;Reihengrab;;;;Gisela Muster;;20.02.2010;01.03.2010;Sarg;",
        fragments=("Überschneidende Ruhezeiten in B-04-01",),
    )


def test_duplicated_rows(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        GOOD[0],
        GOOD[0],
        fragments=("Die Zeile ist doppelt (gleich Zeile 2)",),
    )
    refused(
        tenant,
        cemetery,
        GOOD[0],
        GOOD[0].replace(";ja", ";nein"),
        fragments=("Hans Muster ist für B-04-12 schon in Zeile 2 eingetragen",),
    )


def test_right_without_dates_is_computed_from_the_burial(tenant, cemetery):
    report = run(
        tenant,
        cemetery,
        csv_bytes("A;01;01;Wahlgrab;Erika Muster;;;Hans Muster;;20.02.2001;01.03.2001;Sarg;"),
    )
    assert report.ok, problems(report)
    right = db.session.scalar(select(GraveRight))
    # The Wahlgrab's default term (30 years) covers the rest period (25).
    assert (right.start_date, right.end_date) == (date(2001, 3, 1), date(2031, 3, 1))
    assert "(berechnet)" in report.rows[0].right_text
    refused(
        tenant,
        cemetery,
        "A;01;02;Wahlgrab;Karl Anders;;;;;;;;",
        fragments=("Nutzungsrecht bis fehlt für A-01-02",),
    )


# --- reading: encodings, delimiters, XLSX, dates --------------------------------------

UMLAUT_ROW = (
    "B;04;12;Wahlgrab;Jürgen Weiß;01.03.2001;28.02.2041;Käthe Weiß;;20.02.2001;01.03.2001;Sarg;"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(tenant, cemetery, encoding):
    report = run(tenant, cemetery, csv_bytes(UMLAUT_ROW, encoding=encoding))
    assert report.ok, problems(report)
    assert db.session.scalar(select(Contact.name)) == "Jürgen Weiß"
    burial = db.session.scalar(select(Burial))
    assert (burial.deceased_name, burial.deceased_name_key) == ("Käthe Weiß", "kathe weiss")


def test_comma_delimiter_and_quoted_fields(tenant, cemetery):
    header = HEADER.replace(";", ",")
    row = 'B,04,12,Wahlgrab,"Muster, Erika",01.03.2001,28.02.2041,"Muster, Hans",,20.02.2001,01.03.2001,Sarg,ja'
    report = run(tenant, cemetery, csv_bytes(row, header=header))
    assert report.ok, problems(report)
    assert db.session.scalar(select(Contact.name)) == "Muster, Erika"


def test_headers_in_any_case_and_spacing(tenant, cemetery):
    header = (
        " FELD ;reihe;Nr.;Grabart;Nutzungs-berechtigter;Anschrift;Nutzungsrecht  bis;"
        "Verstorbener;Geburtsdatum;Sterbedatum;Bestattungsdatum;Sarg / Urne;Einwilligung"
    )
    row = (
        "B;04;12;wahlgrab;Erika Muster;Hauptstraße 1, 12345 Musterhausen;28.02.2041;"
        "Hans Muster;;20.02.2001;01.03.2001;urne;x"
    )
    report = run(tenant, cemetery, csv_bytes(row, header=header))
    assert report.ok, problems(report)
    contact = db.session.scalar(select(Contact))
    assert (contact.street, contact.postcode, contact.city) == (
        "Hauptstraße 1",
        "12345",
        "Musterhausen",
    )
    burial = db.session.scalar(select(Burial))
    assert burial.kind == "urn" and burial.public_listing is True


def test_xlsx_with_date_cells(tenant, cemetery):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(
        [
            "B",
            "04",
            12,
            "Wahlgrab",
            "Erika Muster",
            datetime(2001, 3, 1),
            "28.02.2041",
            "Hans Muster",
            date(1930, 5, 12),
            datetime(2001, 2, 20),
            datetime(2001, 3, 1),
            "Sarg",
            "ja",
        ]
    )
    sheet.append([None] * 13)  # blank rows are skipped
    sheet.append(
        [
            "D",
            None,
            "001",
            "Anonymes Urnenfeld",
            None,
            None,
            None,
            "Otto Niemand",
            None,
            "05.05.2020",
            datetime(2020, 5, 12),
            None,
            None,
        ]
    )
    out = io.BytesIO()
    book.save(out)
    report = run(tenant, cemetery, out.getvalue())
    assert report.ok, problems(report)
    assert sorted(db.session.scalars(select(Plot.code))) == ["B-04-12", "D-001"]
    burial = db.session.scalar(select(Burial).where(Burial.deceased_name == "Hans Muster"))
    assert (burial.deceased_born, burial.burial_date) == (date(1930, 5, 12), date(2001, 3, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06.03.2027", date(2027, 3, 6)),
        ("6.3.2027", date(2027, 3, 6)),
        ("06.03.27", date(2027, 3, 6)),  # up to next year's two digits: this century
        ("06.03.28", date(1928, 3, 6)),  # later: the last century
        ("1.1.00", date(2000, 1, 1)),
        ("31.12.99", date(1999, 12, 31)),
        ("29.02.2024", date(2024, 2, 29)),
        ("29.02.00", date(2000, 2, 29)),
        ("2027-03-06", date(2027, 3, 6)),
        ("2027-03-06 00:00:00", date(2027, 3, 6)),
        ("45000", date(2023, 3, 15)),  # an Excel day number
    ],
)
def test_german_dates(text, expected):
    assert importer.parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["29.02.2023", "31.04.2020", "12.13.2020", "2020/01/01", "morgen", "1.1.2"]
)
def test_bad_dates(text):
    with pytest.raises(ValueError):
        importer.parse_date(text, TODAY)


def test_leap_day_burial_rest_period(tenant, cemetery):
    report = run(
        tenant,
        cemetery,
        csv_bytes("B;04;01;Reihengrab;;;;Hans Muster;;25.02.2004;29.02.2004;Sarg;"),
    )
    assert report.ok, problems(report)
    assert db.session.scalar(select(Burial.rest_until)) == date(2029, 2, 28)
    refused(
        tenant,
        cemetery,
        "B;04;02;Reihengrab;;;;Gisela Muster;;25.02.2003;29.02.2003;Sarg;",
        fragments=("Bestattungsdatum: „29.02.2003“ ist kein Datum",),
    )


def test_binary_junk_and_empty_files(tenant, cemetery):
    for data, fragment in (
        (b"", "Die Datei ist leer"),
        (b"   \r\n", "Die Datei ist leer"),
        (bytes(range(256)) * 10, "weder eine CSV-Datei noch eine Excel-Tabelle"),
        (b"PK\x03\x04broken", "Die Excel-Datei lässt sich nicht lesen"),
        (HEADER.encode(), "keine Zeilen unter den Überschriften"),
    ):
        report = run(tenant, cemetery, data)
        assert_refused(report, fragment)
    assert counts()["Plot"] == 0


def test_another_tenants_cemetery_is_refused(tenant, cemetery, make_tenant, make_cemetery):
    other = make_cemetery("Anderswo", of_tenant=make_tenant("anderswo"))
    with pytest.raises(ValidationFailed):
        importer.import_register(tenant, None, other, csv_bytes(*GOOD), now=NOW)


def test_only_staff_may_import(tenant, cemetery, citizen):
    with pytest.raises(Forbidden):
        importer.import_register(tenant, citizen, cemetery, csv_bytes(*GOOD), now=NOW)


def test_same_code_from_other_parts_is_a_problem(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        "B;04;12;Wahlgrab;;;;;;;;;",
        "B-04;;12;Wahlgrab;;;;;;;;;",
        fragments=("ergeben B-04-12 wie in Zeile 2, sind aber anders aufgeteilt",),
    )


def test_a_known_holder_is_reused(tenant, cemetery):
    from cemetery.rights import find_or_create_contact

    known = find_or_create_contact(tenant, name="Jürgen Weiß")
    db.session.commit()
    report = run(tenant, cemetery, csv_bytes(UMLAUT_ROW), dry_run=True)
    assert report.counts["contacts"] == 0
    report = run(tenant, cemetery, csv_bytes(UMLAUT_ROW.replace("Jürgen Weiß", "JÜRGEN  WEISS")))
    assert report.ok, problems(report)
    # A register in capitals writes "WEISS" for "Weiß": the same person
    # (on SQLite too, whose lower() leaves "Ü" as it is).
    assert report.counts["contacts"] == 0
    right = db.session.scalar(select(GraveRight).join(Plot).where(Plot.code == "B-04-12"))
    assert right.holder_id == known.id
    report = run(
        tenant,
        cemetery,
        csv_bytes(UMLAUT_ROW.replace("B;04;12", "B;04;13").replace("Käthe", "Karl")),
    )
    assert report.ok and report.counts["contacts"] == 0
    right = db.session.scalar(select(GraveRight).join(Plot).where(Plot.code == "B-04-13"))
    assert right.holder_id == known.id


def test_control_characters_and_overlong_texts(tenant, cemetery):
    refused(
        tenant,
        cemetery,
        "B;04;12;Wahlgrab;Erika\x07Muster;;;;;;;;",
        "B;04;13;Wahlgrab;" + "x" * 201 + ";;;;;;;;",
        fragments=(
            "Nutzungsberechtigter: unzulässige Steuerzeichen",
            "Nutzungsberechtigter: höchstens 200 Zeichen",
        ),
    )
