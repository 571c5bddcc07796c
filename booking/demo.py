"""``flask demo seed``: a demo municipality to click through."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.core import Conflict, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees import service as fees
from booking.fees.schedule import load_schedule
from booking.reservations import closures
from booking.reservations import service as reservations
from booking.reservations.models import Booking
from booking.resources import availability
from booking.resources import service as resources
from booking.resources.models import Resource
from booking.tenants import localtime
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant
from booking.transaction import CommandGroup
from cemetery import fees as cemetery_fees
from cemetery import importer, register
from cemetery.models import Cemetery, GraveRight, Plot

demo_cli = CommandGroup("demo", help="Demo data.")

DEMO_SLUG = "musterhausen"
DEMO_PASSWORD = "demo-passwort-2026"
EXAMPLE_REGISTER = (
    Path(__file__).resolve().parent.parent / "config" / "cemetery_register.example.csv"
)
DEMO_ACCOUNTS = (
    ("admin@musterhausen.example", "Anna Admin", "admin"),
    ("sachbearbeitung@musterhausen.example", "Sven Sachbearbeiter", "clerk"),
    ("hausmeister@musterhausen.example", "Hans Hausmeister", "caretaker"),
    ("bestatter@musterhausen.example", "Berta Bestatterin", "funeral_home"),
    ("verein@musterhausen.example", "Vera Vereinsvorsitzende", None),
    ("buerger@musterhausen.example", "Bernd Bürger", None),
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
    cemetery = seed_demo_cemetery(tenant)
    cemetery_fees.load_example(tenant, None)  # Friedhofsgebühren: config/cemetery_fees.example.json
    seed_demo_family(tenant, cemetery, users["buerger@musterhausen.example"])
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
        key_handover="Beim Hausmeister, Hauptstraße 3 (klingeln), ab einer Stunde vor Beginn.",
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
        key_handover="Im Sekretariat der Grundschule, werktags bis 15 Uhr.",
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
    resources.set_opening_hours(tenant, None, sports, [(day, 8 * 60, 22 * 60) for day in range(7)])
    resources.set_opening_hours(tenant, None, room, [(day, 8 * 60, 22 * 60) for day in range(5)])
    if caretaker is not None:
        resources.add_caretaker(tenant, None, dgh, caretaker)
    seed_demo_fees(tenant, [dgh, *parts.values(), sports, room])
    return {
        "Dorfgemeinschaftshaus": dgh,
        **parts,
        "Sporthalle": sports,
        "Mehrzweckraum": room,
    }


def seed_demo_fees(tenant: Tenant, halls: list[Resource]) -> None:
    """Each demo hall gets the example schedule's rules and cancellation
    bands for its kind (config/fee_schedule.example.json): the house costs
    a day's rent, its halves and the meeting room go by the hour, the
    club's training in the sports hall stays free (local clubs use it free)."""
    schedule = load_schedule()
    for hall in halls:
        kind = schedule.for_kind(hall.kind)
        if kind is None:
            continue
        fees.set_fee_rules(tenant, None, hall, [rule.to_dict() for rule in kind.rules])
        fees.set_cancellation_policy(tenant, None, hall, kind.cancellation.to_list())


def _at(tenant: Tenant, day: date, hour: int) -> datetime:
    """``hour`` o'clock local on ``day``; 24 is the next midnight."""
    return localtime.local_instant(tenant, day + timedelta(days=hour // 24), time(hour % 24))


def _book(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    day: date,
    hours: tuple[int, int],
    title: str,
    *,
    now: datetime,
    tries: int = 7,
    **options,
) -> Booking | None:
    """Book ``resource`` on ``day`` (or, when the rules or another booking
    refuse that day — a holiday, the closure — the next day that is free,
    up to ``tries`` days), through the booking service as ``actor`` at
    ``now``. ``preview_booking`` asks first and writes nothing; a demo
    date nobody can have is left out (None)."""
    for offset in range(tries):
        when = day + timedelta(days=offset)
        args = (tenant, actor, resource, _at(tenant, when, hours[0]), _at(tenant, when, hours[1]))
        args += (title,)
        try:
            reservations.preview_booking(*args, now=now, **options)
        except (ValidationFailed, Conflict):
            continue
        return reservations.create_booking(*args, now=now, **options).booking
    return None


def seed_demo_bookings(tenant, users, halls, club, now: datetime) -> None:
    """A living municipality around the day the seed runs (``now``, in the
    tenant's zone): bookings this week and next in every hall, the club's
    weekly training for the season, requests waiting for the clerk, a
    maintenance closure next week, and the caretaker's hall in use today.

    Everything goes through the services with their rules (opening hours,
    holidays, closures, conflicts): the bookings were made three weeks
    before ``now``, so this week's earlier days and today — even when the
    seed runs at 23:30 — have their dates; the open requests came in during
    the last days."""
    admin = users["admin@musterhausen.example"]
    clerk = users["sachbearbeitung@musterhausen.example"]
    member = users["verein@musterhausen.example"]
    citizen = users["buerger@musterhausen.example"]
    today = localtime.local_today(tenant, now)
    monday = localtime.monday_of(today)
    next_monday = monday + timedelta(days=7)
    booked = now - timedelta(days=21)
    dgh, saal_a, saal_b = halls["Dorfgemeinschaftshaus"], halls["Saal A"], halls["Saal B"]
    sports, room = halls["Sporthalle"], halls["Mehrzweckraum"]

    # Maintenance next week on Wednesday: the whole house with both halves.
    closed = next_monday + timedelta(days=2)
    closures.enter_closure(
        tenant,
        admin,
        start=_at(tenant, closed, 0),
        end=_at(tenant, closed, 24),
        reason="Wartung der Heizung und Grundreinigung",
        resource=dgh,
        now=booked,
    )

    # The club's season (the demo's first booking, which the browser tests
    # open as /bookings/1): every Tuesday 18–20 in the sports hall for four
    # months from this week, holidays, closures and school holidays left out
    # (the demo enters no school holidays; an admin can import them).
    training = _book(
        tenant,
        member,
        sports,
        monday + timedelta(days=1),
        (18, 20),
        "Training Handballjugend",
        now=booked,
        tries=1,
        organisation=club,
        recurrence={
            "freq": "weekly",
            "interval": 1,
            "until": (today + timedelta(days=120)).isoformat(),
            "skip_closed": True,
            "skip_school_holidays": True,
        },
        on_conflict="skip",
    )
    if training is not None:
        reservations.approve_booking(tenant, clerk, training, now=booked + timedelta(days=1))

    # Today in the caretaker's hall, whatever the hour of the seed. On a
    # public holiday the municipality holds these anyway (audited override).
    holiday = availability.holiday_intervals(tenant, *localtime.day_bounds(tenant, today))
    for actor, resource, hours, title, options in (
        (
            citizen,
            saal_a,
            (10, 12),
            "Krabbelgruppe",
            {
                "guests": 14,
                "contact_phone": "06421 98765",
                "note": "Bitte die Spielmatten auslegen.",
            },
        ),
        (
            member,
            saal_b,
            (19, 22),
            "Vorstandssitzung",
            {
                "organisation": club,
                "guests": 9,
                "contact_phone": "0171 2345678",
                "note": "Beamer und Leinwand werden gebraucht.",
            },
        ),
    ):
        if holiday:
            reason = "Am Feiertag, mit der Gemeinde abgestimmt"
            actor, options = clerk, {**options, "override_reason": reason}
        _book(tenant, actor, resource, today, hours, title, now=booked, tries=1, **options)

    # This week and next in the other halls. Saal B and the whole house have
    # nothing from tomorrow to next Monday: the browser tests book Saal B
    # for tomorrow.
    for actor, resource, day, hours, title, options in (
        (
            citizen,
            saal_a,
            monday,
            (18, 20),
            "Yoga für Anfänger",
            {"recurrence": {"freq": "weekly", "count": 10, "skip_closed": True}},
        ),
        (clerk, saal_a, monday + timedelta(days=3), (14, 17), "Seniorennachmittag", {}),
        (citizen, saal_a, monday + timedelta(days=4), (17, 21), "Kinoabend für Familien", {}),
        (member, saal_a, monday + timedelta(days=5), (14, 22), "Geburtstagsfeier", {}),
        (clerk, dgh, next_monday + timedelta(days=1), (19, 22), "Bürgerversammlung", {}),
        (citizen, saal_b, next_monday + timedelta(days=4), (16, 20), "Flohmarkt", {}),
        (clerk, room, next_monday, (19, 21), "Sitzung des Gemeinderats", {}),
        (
            clerk,
            room,
            monday + timedelta(days=2),
            (9, 11),
            "Sprachkurs der Volkshochschule",
            {"recurrence": {"freq": "weekly", "count": 8, "skip_closed": True}},
        ),
    ):
        _book(tenant, actor, resource, day, hours, title, now=booked, on_conflict="skip", **options)

    # Requests in the clerk's queue: the sports hall needs approval.
    for actor, day, hours, title, options, ago in (
        (citizen, next_monday + timedelta(days=4), (19, 21), "Volleyball-Freizeitgruppe", {}, 50),
        (citizen, next_monday + timedelta(days=6), (14, 17), "Kindergeburtstag", {}, 20),
        (
            member,
            next_monday + timedelta(days=12),
            (9, 17),
            "Jugendturnier",
            {"organisation": club, "guests": 150},
            3,
        ),
    ):
        _book(tenant, actor, sports, day, hours, title, now=now - timedelta(hours=ago), **options)


def seed_demo_cemetery(tenant: Tenant, now: datetime | None = None) -> Cemetery:
    """The demo cemetery with its chapel (Trauerhalle) and crew as resources,
    and its register taken over from config/cemetery_register.example.csv
    (sections, plots, grave rights with holders, past burials)."""
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
    report = importer.import_register(
        tenant,
        None,
        cemetery,
        EXAMPLE_REGISTER.read_bytes(),
        filename=EXAMPLE_REGISTER.name,
        now=now,
    )
    if not report.ok:
        raise click.ClickException(
            "The example register does not import: " + "; ".join(report.lines()[:10])
        )
    return cemetery


def seed_demo_family(tenant: Tenant, cemetery: Cemetery, citizen: User) -> None:
    """Free rows of Reihengräber for new burials, and the demo citizen as
    the holder of a Wahlgrab whose right runs out in a few years (the family
    portal: "Meine Gräber", extension, online payment)."""
    register.create_plot_row(
        tenant, None, cemetery, section="R", row="01", first=1, count=12, grave_type="reihengrab"
    )
    register.create_plot_row(
        tenant,
        None,
        cemetery,
        section="U",
        row="01",
        first=1,
        count=12,
        grave_type="urnenreihengrab",
    )
    wahlgrab = register.grave_type_by_key(tenant, "wahlgrab")
    right = db.session.scalars(
        select(GraveRight)
        .join(Plot, Plot.id == GraveRight.plot_id)
        .where(
            GraveRight.tenant_id == tenant.id,
            GraveRight.status == "active",
            GraveRight.end_date > register.local_today(tenant),
            Plot.grave_type_id == wahlgrab.id,
        )
        .order_by(GraveRight.end_date)
        .limit(1)
    ).first()
    if right is not None:
        right.holder.name = citizen.name or right.holder.name
        right.holder.email = citizen.email
        right.holder.user_id = citizen.id
    db.session.flush()


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
    else:
        # Its dates stay those of the day it was seeded; a fresh database
        # seeds a new week.
        click.echo("The demo municipality exists already: nothing added.")
    click.echo(f"Demo municipality: /{DEMO_SLUG}/  — accounts (password {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_ACCOUNTS:
        member = email == "verein@musterhausen.example"
        click.echo(f"  {email:<40} {role or ('citizen / club member' if member else 'citizen')}")
