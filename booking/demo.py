"""``flask demo seed``: a demo municipality to click through."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import click
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.core import utcnow
from booking.extensions import db
from booking.reservations import service as reservations
from booking.resources import service as resources
from booking.resources.models import Resource
from booking.tenants import localtime
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant
from booking.transaction import CommandGroup
from cemetery.models import Cemetery

demo_cli = CommandGroup("demo", help="Demo data.")

DEMO_SLUG = "musterhausen"
DEMO_PASSWORD = "demo-passwort-2026"
DEMO_ACCOUNTS = (
    ("admin@musterhausen.example", "Anna Admin", "admin"),
    ("sachbearbeitung@musterhausen.example", "Sven Sachbearbeiter", "clerk"),
    ("hausmeister@musterhausen.example", "Hans Hausmeister", "caretaker"),
    ("bestatter@musterhausen.example", "Berta Bestatterin", "funeral_home"),
    ("verein@musterhausen.example", "Vera Vereinsvorsitzende", None),
)


def seed(now: datetime | None = None) -> list[tuple[str, str, str | None]]:
    """Create the demo municipality with its accounts; returns the accounts."""
    tenant = create_tenant(DEMO_SLUG, "Gemeinde Musterhausen", "Europe/Berlin", "HE")
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        user = accounts.create_user(email, DEMO_PASSWORD, name=name, confirmed=True)
        users[email] = user
        if role:
            accounts.grant_role(tenant, None, user, role)
    club = accounts.create_organisation(
        tenant, users["verein@musterhausen.example"], name="TSV Musterhausen 1890 e. V."
    )
    halls = seed_demo_resources(tenant, users["hausmeister@musterhausen.example"])
    seed_demo_bookings(tenant, users, halls, club, now or utcnow())
    seed_demo_cemetery(tenant)
    return list(DEMO_ACCOUNTS)


def seed_demo_resources(tenant: Tenant, caretaker: User | None) -> dict[str, Resource]:
    """The demo municipality's halls (``flask demo seed``)."""
    dgh = resources.create_resource(
        tenant,
        None,
        name="Dorfgemeinschaftshaus",
        kind="hall",
        capacity=120,
        address="Hauptstraße 1, 12345 Musterhausen",
        description=(
            "Großer Saal, teilbar in Saal A und Saal B, mit Küche und Bühne. "
            "Für Feiern, Versammlungen und Vereinsabende."
        ),
        accessibility="Stufenloser Zugang, barrierefreies WC, induktive Höranlage im Saal A.",
        buffer_after_min=30,
    )
    parts = {}
    for label in ("Saal A", "Saal B"):
        parts[label] = resources.create_resource(
            tenant,
            None,
            name=label,
            kind="room",
            capacity=60,
            parent_id=dgh.id,
            address=dgh.address,
            buffer_after_min=30,
        )
    every_day = [(day, 8 * 60, resources.MINUTES_PER_DAY) for day in range(7)]
    for resource in (dgh, *parts.values()):
        resources.set_opening_hours(tenant, None, resource, every_day)
    sports = resources.create_resource(
        tenant,
        None,
        name="Sporthalle",
        kind="sports_hall",
        capacity=200,
        address="Schulweg 5, 12345 Musterhausen",
        description="Dreifeldhalle an der Grundschule. Buchungen werden von der Verwaltung geprüft.",
        accessibility="Zugang über Rampe am Nebeneingang.",
        requires_approval=True,
    )
    room = resources.create_resource(
        tenant,
        None,
        name="Mehrzweckraum",
        kind="room",
        capacity=40,
        address="Rathausplatz 2, 12345 Musterhausen",
        description="Raum im Erdgeschoss des Rathauses für Sitzungen und Kurse.",
        accessibility="Stufenloser Zugang, Aufzug vorhanden.",
    )
    if caretaker is not None:
        resources.add_caretaker(tenant, None, dgh, caretaker)
    return {
        "Dorfgemeinschaftshaus": dgh,
        **parts,
        "Sporthalle": sports,
        "Mehrzweckraum": room,
    }


def _local(tenant: Tenant, day: date, hour: int) -> datetime:
    return localtime.local_instant(tenant, day, time(hour))


# (booker, hall, weekday, weeks ahead, from hour, to hour, title, for the club,
#  weekly dates, approved by the clerk)
DEMO_BOOKINGS = (
    ("verein", "Sporthalle", 1, 1, 18, 20, "Training Handballjugend", True, 12, True),
    ("verein", "Sporthalle", 5, 2, 9, 17, "Jugendturnier", True, None, False),
    ("verein", "Saal A", 5, 1, 14, 22, "Geburtstagsfeier", False, None, False),
    (
        "sachbearbeitung",
        "Mehrzweckraum",
        2,
        1,
        9,
        11,
        "Sprachkurs der Volkshochschule",
        False,
        8,
        False,
    ),
)


def seed_demo_bookings(tenant, users, halls, club, now: datetime) -> None:
    """A few weeks of ordinary life: a club's weekly training (approved), a
    pending request in the clerk's queue, a private party and a course."""
    clerk = users["sachbearbeitung@musterhausen.example"]
    today = localtime.local_today(tenant, now)
    for who, hall, weekday, weeks, begin, end, title, for_club, weekly, approve in DEMO_BOOKINGS:
        day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)
        booking = reservations.create_booking(
            tenant,
            users[f"{who}@musterhausen.example"],
            halls[hall],
            _local(tenant, day, begin),
            _local(tenant, day, end),
            title,
            organisation=club if for_club else None,
            recurrence=(
                {"freq": "weekly", "interval": 1, "count": weekly, "skip_closed": True}
                if weekly
                else None
            ),
            on_conflict="skip",
            now=now,
        ).booking
        if approve:
            reservations.approve_booking(tenant, clerk, booking, now=now)


def seed_demo_cemetery(tenant: Tenant) -> Cemetery:
    """The demo cemetery with its chapel (Trauerhalle) and crew as resources."""
    chapel = resources.create_resource(
        tenant,
        None,
        name="Trauerhalle Friedhof Musterhausen",
        kind="chapel",
        capacity=80,
        address="Friedhofsweg 3, 12345 Musterhausen",
        public=False,
    )
    crew = resources.create_resource(tenant, None, name="Friedhofsteam", kind="crew", public=False)
    cemetery = Cemetery(
        tenant_id=tenant.id,
        name="Friedhof Musterhausen",
        address=chapel.address,
        chapel_resource_id=chapel.id,
        crew_resource_id=crew.id,
    )
    db.session.add(cemetery)
    db.session.flush()
    return cemetery


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when a municipality exists.")
def seed_command(if_empty: bool) -> None:
    """Create the demo municipality 'musterhausen' and print its accounts."""
    demo_present = db.session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_SLUG))
    if demo_present is None and if_empty and db.session.scalar(select(Tenant.id).limit(1)):
        click.echo("The database holds municipalities already: no demo data added.")
        return
    if demo_present is None:
        seed()
    click.echo(f"Demo municipality: /{DEMO_SLUG}/  — accounts (password {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_ACCOUNTS:
        click.echo(f"  {email:<40} {role or 'citizen / club member'}")
