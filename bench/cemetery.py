"""Benchmark of the cemetery register.

    .venv/bin/python -m bench.cemetery
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kb_bench_cemetery .venv/bin/python -m bench.cemetery

Seeds one municipality with one cemetery of 50 sections × 1,000 plots
(50,000 plots, mixed grave types, positions on the section maps), 40,000
grave rights and 100,000 past burials (two per plot on average, names from
a list of common German names, a third with consent to the grave search),
written straight into the tables, plus upcoming burials booked through the
service so that the chapel and the crew are busy. Then prints:

* the plot-status listing of one section (1,000 plots: their statuses
  derived from rights and rest periods) — median of 20;
* the grave search for a surname prefix in the cemetery — median of 50;
* the free-slot search for a coffin burial with a 45-minute ceremony over
  the next 14 days — median of 20;
* the import of a 10,000-row register file (CSV): dry run and import, in
  rows per second.

SQLite by default (a scratch file); a PostgreSQL database named by
``DATABASE_URL`` is wiped first, so its name must contain "bench".
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.booking import log, make_app, reset_postgres

SECTIONS = 50
PLOTS_PER_SECTION = 1_000
BURIALS = 100_000
RIGHTS = 40_000
IMPORT_ROWS = 10_000
SURNAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
]
FIRST_NAMES = [
    "Anna",
    "Maria",
    "Elisabeth",
    "Ursula",
    "Helga",
    "Gerda",
    "Karin",
    "Renate",
    "Ingrid",
    "Monika",
    "Hans",
    "Karl",
    "Heinz",
    "Walter",
    "Werner",
    "Günter",
    "Klaus",
    "Dieter",
    "Horst",
    "Manfred",
    "Peter",
    "Wolfgang",
    "Jürgen",
    "Helmut",
    "Gerhard",
    "Friedrich",
]
MIX = ("wahlgrab", "reihengrab", "urnenwahlgrab", "urnenreihengrab", "rasengrab", "baumgrab")


def median_ms(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seed():
    """The tenant, a clerk, the cemetery with 50,000 plots, 40,000 rights
    and 100,000 past burials (bulk inserts)."""
    from booking.accounts import service as accounts
    from booking.accounts.models import User
    from booking.core import utcnow
    from booking.extensions import db
    from booking.tenants.service import create_tenant
    from cemetery import register
    from cemetery.models import Burial, Contact, GraveRight, GraveType, Plot, Section
    from cemetery.rules import add_years

    rng = random.Random(2027)
    tenant = create_tenant("bench", "Gemeinde Benchmarkhausen")
    clerk = User(
        email="clerk@example.org",
        name="Clara Clerk",
        password_hash=accounts.hash_password("bench-password"),
        email_confirmed_at=utcnow(),
    )
    db.session.add(clerk)
    db.session.flush()
    accounts.grant_role(tenant, None, clerk, "clerk")
    cemetery = register.create_cemetery(tenant, clerk, name="Hauptfriedhof", now=utcnow())
    types = {
        t.key: t
        for t in db.session.scalars(select(GraveType).where(GraveType.tenant_id == tenant.id))
    }
    sections = [
        Section(tenant_id=tenant.id, cemetery_id=cemetery.id, name=f"F{number:02d}")
        for number in range(1, SECTIONS + 1)
    ]
    db.session.add_all(sections)
    db.session.flush()
    plots = []
    for section in sections:
        for i in range(PLOTS_PER_SECTION):
            row, number = divmod(i, 40)
            plots.append(
                {
                    "tenant_id": tenant.id,
                    "cemetery_id": cemetery.id,
                    "section_id": section.id,
                    "grave_type_id": types[MIX[(i // 40) % len(MIX)]].id,
                    "code": f"{section.name}-{row + 1:02d}-{number + 1:02d}",
                    "row": f"{row + 1:02d}",
                    "number": f"{number + 1:02d}",
                    "sort_key": i,
                    "x": number * 12,
                    "y": row * 20,
                    "width": 10,
                    "height": 18,
                    "blocked": False,
                    "created_at": utcnow(),
                }
            )
    db.session.execute(insert(Plot), plots)
    plot_ids = list(
        db.session.scalars(select(Plot.id).where(Plot.cemetery_id == cemetery.id).order_by(Plot.id))
    )
    contacts = [
        {
            "tenant_id": tenant.id,
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            "street": f"Hauptstraße {n % 200 + 1}",
            "postcode": "35000",
            "city": "Benchmarkhausen",
            "created_at": utcnow(),
        }
        for n in range(RIGHTS)
    ]
    db.session.execute(insert(Contact), contacts)
    contact_ids = list(
        db.session.scalars(
            select(Contact.id).where(Contact.tenant_id == tenant.id).order_by(Contact.id)
        )
    )
    today = date.today()
    rights = []
    for n, plot_id in enumerate(plot_ids[:RIGHTS]):
        start = today - timedelta(days=rng.randint(0, 40 * 365))
        rights.append(
            {
                "tenant_id": tenant.id,
                "plot_id": plot_id,
                "holder_id": contact_ids[n],
                "start_date": start,
                "end_date": add_years(start, 30),
                "status": "active",
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )
    db.session.execute(insert(GraveRight), rights)
    rows = db.session.execute(
        select(GraveRight.plot_id, GraveRight.id).where(GraveRight.tenant_id == tenant.id)
    )
    right_of = {plot_id: right_id for plot_id, right_id in rows}
    burials = []
    for n in range(BURIALS):
        plot_id = plot_ids[n % len(plot_ids)]
        buried = today - timedelta(days=rng.randint(30, 60 * 365))
        died = buried - timedelta(days=rng.randint(3, 14))
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        kind = "coffin" if n % 3 else "urn"
        burials.append(
            {
                "tenant_id": tenant.id,
                "cemetery_id": cemetery.id,
                "plot_id": plot_id,
                "right_id": right_of.get(plot_id),
                "kind": kind,
                "place": 1 + n // len(plot_ids),
                "deceased_name": name,
                "deceased_name_key": register.name_key(name),
                "deceased_born": died - timedelta(days=rng.randint(50 * 365, 95 * 365)),
                "deceased_died": died,
                "burial_date": buried,
                "ceremony_minutes": 0,
                "rest_until": add_years(buried, 25 if kind == "coffin" else 20),
                "public_listing": n % 3 == 0,
                "status": "done",
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )
    db.session.execute(insert(Burial), burials)
    db.session.commit()
    return tenant, clerk, cemetery, sections


def upcoming(tenant, clerk, cemetery, count: int = 60) -> int:
    """Burials in the coming weeks through the service (chapel and crew
    claimed); returns how many were booked."""
    from booking.core import DomainError, utcnow
    from booking.extensions import db
    from booking.tenants.localtime import tenant_zone
    from cemetery import burials, register

    zone = tenant_zone(tenant)
    booked = 0
    day = date.today() + timedelta(days=7)
    hour = 9
    for n in range(count):
        start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        try:
            burials.create_burial(
                tenant,
                clerk,
                cemetery,
                kind="urn",
                grave_type=register.grave_type_by_key(tenant, "urnenreihengrab"),
                deceased={"name": f"Person {n}", "born": date(1940, 1, 1), "died": date.today()},
                start=start,
                ceremony_minutes=45,
                holder={
                    "name": f"Angehörige {n}",
                    "street": "Hauptstraße 1",
                    "postcode": "35000",
                    "city": "Benchmarkhausen",
                },
                now=utcnow(),
            )
            db.session.commit()
            booked += 1
        except DomainError:
            db.session.rollback()
        hour += 2
        if hour > 13:
            hour = 9
            day += timedelta(days=1)
    return booked


def import_file(path: Path, rows: int) -> None:
    """A register of ``rows`` rows in the old program's German CSV export."""
    rng = random.Random(7)
    lines = [
        "Feld;Reihe;Nummer;Grabart;Nutzungsberechtigter;Nutzungsrecht bis;"
        "Verstorbene/r;geboren;gestorben;Bestattungsdatum;Sarg/Urne"
    ]
    for n in range(rows):
        row, number = divmod(n, 50)
        buried = date(1990, 1, 1) + timedelta(days=rng.randint(0, 10_000))
        died = buried - timedelta(days=5)
        lines.append(
            ";".join(
                (
                    f"I{row // 100:02d}",
                    f"{row % 100 + 1:02d}",
                    f"{number + 1:02d}",
                    "Wahlgrab",
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                    (buried + timedelta(days=40 * 365)).strftime("%d.%m.%Y"),
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                    (died - timedelta(days=80 * 365)).strftime("%d.%m.%Y"),
                    died.strftime("%d.%m.%Y"),
                    buried.strftime("%d.%m.%Y"),
                    "Sarg",
                )
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def run(url: str, label: str) -> None:
    from flask_migrate import upgrade

    from booking.core import utcnow
    from booking.extensions import db
    from cemetery import importer, register, search, slots

    app = make_app(url, SERVER_NAME="localhost", BASE_URL="http://localhost")
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        tenant, clerk, cemetery, sections = seed()
        log(
            f"{label}: seeded 50,000 plots, 40,000 rights, 100,000 burials in "
            f"{time.perf_counter() - started:.1f} s"
        )
        booked = upcoming(tenant, clerk, cemetery)
        log(f"{label}: {booked} upcoming burials booked through the service")
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        today = register.local_today(tenant)
        section = sections[len(sections) // 2]
        listed = register.list_plots(tenant, cemetery, section_id=section.id, today=today)
        assert len(listed) == PLOTS_PER_SECTION, len(listed)
        listing = median_ms(
            lambda: register.list_plots(tenant, cemetery, section_id=section.id, today=today), 20
        )
        found = search.search(tenant, cemetery, "Schm")
        searching = median_ms(lambda: search.search(tenant, cemetery, "Schm"), 50)
        now = utcnow()
        first = today + timedelta(days=7)
        free = slots.free_slots(
            tenant, cemetery, kind="coffin", ceremony_minutes=45, first_day=first, days=14, now=now
        )
        slotting = median_ms(
            lambda: slots.free_slots(
                tenant,
                cemetery,
                kind="coffin",
                ceremony_minutes=45,
                first_day=first,
                days=14,
                now=now,
            ),
            20,
        )
        db.session.rollback()
        log(f"{label}: plot-status listing of one section ({len(listed)} plots): {listing:.1f} ms")
        log(f"{label}: grave search 'Schm' ({len(found)} results shown): {searching:.1f} ms")
        log(f"{label}: free-slot search, 14 days ({len(free)} free starts): {slotting:.1f} ms")
        other = register.create_cemetery(tenant, clerk, name="Friedhof Import", now=now)
        db.session.commit()
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "register.csv"
            import_file(path, IMPORT_ROWS)
            started = time.perf_counter()
            report = importer.import_register(tenant, clerk, other, path, dry_run=True, now=now)
            assert report.ok, report.lines()[:5] if hasattr(report, "lines") else report
            db.session.rollback()
            dry = time.perf_counter() - started
            started = time.perf_counter()
            report = importer.import_register(tenant, clerk, other, path, dry_run=False, now=now)
            db.session.commit()
            wet = time.perf_counter() - started
        log(
            f"{label}: import of {IMPORT_ROWS:,} rows: dry run {IMPORT_ROWS / dry:,.0f} rows/s, "
            f"import {IMPORT_ROWS / wet:,.0f} rows/s"
        )


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        reset_postgres(url)
        run(url, "PostgreSQL")
        return
    with tempfile.TemporaryDirectory() as scratch:
        run(f"sqlite:///{Path(scratch) / 'cemetery.sqlite'}", "SQLite")


if __name__ == "__main__":
    main()
