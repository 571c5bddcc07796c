from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SLUG, seed, seed_demo_resources
from booking.extensions import db
from booking.reservations.models import Booking, Occurrence
from booking.reservations.rules import rule_violations
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Closure
from booking.tenants.models import Tenant

BERLIN = ZoneInfo("Europe/Berlin")


def as_utc(value: datetime) -> datetime:
    """SQLite hands instants back naive (they are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_demo_seed_creates_the_municipality_and_prints_working_accounts(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    for email, _name, _role in DEMO_ACCOUNTS:
        assert email in result.output
    assert client.get("/musterhausen/").status_code == 200
    response = client.post(
        "/account/login", data={"email": DEMO_ACCOUNTS[0][0], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_seed_twice_adds_nothing_and_still_prints_the_accounts(runner):
    runner.invoke(args=["demo", "seed"])
    users = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert DEMO_ACCOUNTS[0][0] in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_demo_seed_if_empty_leaves_a_real_installation_alone(runner, make_tenant):
    make_tenant("musterstadt")
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.scalar(select(Tenant.slug).where(Tenant.slug == "musterhausen")) is None


def test_demo_has_bookings_a_pending_request_and_a_cemetery(runner):
    from booking.reservations.models import Booking
    from cemetery.models import Cemetery

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    statuses = set(db.session.scalars(select(Booking.status)))
    assert statuses == {"confirmed", "requested"}
    assert db.session.scalar(select(Cemetery.name)) == "Friedhof Musterhausen"


def test_demo_cemetery_has_free_rows_and_a_family_with_a_grave(runner):
    from booking.accounts.models import User
    from booking.tenants.models import Tenant
    from cemetery import register
    from cemetery.models import Cemetery, Contact, GraveRight

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    tenant = db.session.scalars(select(Tenant)).one()
    cemetery = db.session.scalars(select(Cemetery)).one()
    for key in ("reihengrab", "urnenreihengrab"):
        free = register.list_plots(tenant, cemetery, status="free", grave_type=key)
        assert len(free) >= 12, key
    citizen = db.session.scalar(select(User).where(User.email == "buerger@musterhausen.example"))
    right = db.session.scalars(
        select(GraveRight)
        .join(Contact, Contact.id == GraveRight.holder_id)
        .where(Contact.user_id == citizen.id)
    ).one()
    assert right.plot.grave_type.extendable
    assert right.end_date > register.local_today(tenant)


# Local seed times: a Wednesday just after midnight, a Sunday late in the
# evening (its week is that one day), New Year's Day (a public holiday) and
# the night the clocks go forward, each a few weeks from now.
SEED_TIMES = [
    ("wednesday", 2, time(0, 5)),
    ("sunday", 6, time(23, 30)),
    ("monday", 0, time(0, 5)),
    ("saturday", 5, time(23, 30)),
]


def _seed_time(weekday: int, clock: time) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=21)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, clock, BERLIN).astimezone(UTC)


def _seeded(now: datetime) -> Tenant:
    seed(now=now)
    db.session.commit()
    return db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))


def _dates_between(first: date, days: int) -> list[Occurrence]:
    start = datetime.combine(first, time(), BERLIN)
    end = datetime.combine(first + timedelta(days=days), time(), BERLIN)
    return list(
        db.session.scalars(
            select(Occurrence).where(
                Occurrence.cancelled_at.is_(None),
                Occurrence.start_at < end.astimezone(UTC),
                Occurrence.end_at > start.astimezone(UTC),
            )
        )
    )


LOCAL_TIMES = [_seed_time(weekday, clock) for _name, weekday, clock in SEED_TIMES] + [
    datetime(2027, 1, 1, 0, 5, tzinfo=BERLIN).astimezone(UTC),  # New Year's Day
    datetime(2027, 3, 28, 23, 30, tzinfo=BERLIN).astimezone(UTC),  # clocks went forward
]
LOCAL_IDS = [name for name, *_rest in SEED_TIMES] + ["new-year-0005", "dst-2330"]


@pytest.mark.parametrize("now", LOCAL_TIMES, ids=LOCAL_IDS)
def test_demo_lives_in_the_week_it_is_seeded(app, now):
    tenant = _seeded(now)
    today = now.astimezone(BERLIN).date()
    monday = today - timedelta(days=today.weekday())
    assert _dates_between(monday, 7), "this week"
    assert _dates_between(monday + timedelta(days=7), 7), "next week"
    series = db.session.scalars(select(Booking).where(Booking.recurrence.is_not(None))).all()
    club = [b for b in series if b.organisation is not None]
    assert club and len(club[0].active_occurrences) >= 8
    assert club[0].status == "confirmed"
    requested = db.session.scalars(select(Booking).where(Booking.status == "requested")).all()
    assert len(requested) >= 2
    assert all(b.resource.requires_approval for b in requested)
    closures = db.session.scalars(select(Closure).where(Closure.tenant_id == tenant.id)).all()
    assert any(now <= as_utc(c.start_at) < now + timedelta(days=14) for c in closures)


@pytest.mark.parametrize("now", LOCAL_TIMES, ids=LOCAL_IDS)
def test_every_demo_date_keeps_the_rules(app, now):
    """Opening hours, holidays and the closure hold for every date the seed
    made (booked weeks before ``now``), except where staff overrode them with
    an audited reason."""
    tenant = _seeded(now)
    overridden = set(
        db.session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "booking.override")
        )
    )
    checked = 0
    for occurrence in db.session.scalars(
        select(Occurrence).where(Occurrence.cancelled_at.is_(None))
    ):
        booking = occurrence.booking
        if str(booking.id) in {str(i) for i in overridden}:
            continue
        dates = [(as_utc(occurrence.start_at), as_utc(occurrence.end_at))]
        found = rule_violations(
            tenant, booking.resource, dates, now=as_utc(booking.created_at) - timedelta(seconds=1)
        )
        assert found == [], (booking.title, occurrence.start_at, found)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("now", LOCAL_TIMES, ids=LOCAL_IDS)
def test_the_caretaker_has_something_on_today(app, client, monkeypatch, now):
    _seeded(now)
    monkeypatch.setattr("booking.reservations.caretaker_views.utcnow", lambda: now)
    caretaker = next(email for email, _n, role in DEMO_ACCOUNTS if role == "caretaker")
    client.post("/account/login", data={"email": caretaker, "password": DEMO_PASSWORD})
    html = client.get(f"/{DEMO_SLUG}/caretaker/").get_data(as_text=True)
    today = html[html.index('id="today-title"') : html.index('id="tomorrow-title"')]
    assert "Heute ist nichts gebucht." not in today
    assert "Krabbelgruppe" in today or "Vorstandssitzung" in today
    assert "Bitte die Spielmatten auslegen." in today and "06421 98765" in today
    assert "Beim Hausmeister, Hauptstraße 3" in today  # the hall's key handover
    sheet = client.get(f"/{DEMO_SLUG}/caretaker/day").get_data(as_text=True)
    assert "Krabbelgruppe" in sheet


def test_a_second_seed_refuses_and_changes_nothing(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    before = db.session.scalar(select(func.count()).select_from(Occurrence))
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Occurrence)) == before
    assert "exists already: nothing added" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if "@" in line}
    assert lines["buerger@musterhausen.example"].endswith(" citizen")
    assert "club member" in lines["verein@musterhausen.example"]


def test_seed_demo_resources(tenant, make_user):
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    seeded = seed_demo_resources(tenant, caretaker)
    dgh = seeded["Dorfgemeinschaftshaus"]
    a, b = seeded["Saal A"], seeded["Saal B"]
    assert tree.leaf_unit_ids(dgh) == [a.id, b.id]
    assert (dgh.capacity, a.capacity, b.capacity) == (120, 60, 60)
    assert dgh.buffer_after_min == a.buffer_after_min == 30
    assert [(h.weekday, h.opens_min, h.closes_min) for h in dgh.opening_hours] == [
        (day, 480, 1440) for day in range(7)
    ]
    assert seeded["Sporthalle"].requires_approval
    assert [(h.weekday, h.opens_min, h.closes_min) for h in seeded["Sporthalle"].opening_hours] == [
        (day, 480, 1320) for day in range(7)
    ]
    assert [h.weekday for h in seeded["Mehrzweckraum"].opening_hours] == [0, 1, 2, 3, 4]
    assert seeded["Mehrzweckraum"].capacity == 40
    assert resources.resources_for_caretaker(tenant, caretaker) == [dgh, a, b]
