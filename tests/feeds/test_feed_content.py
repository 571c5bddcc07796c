"""What the feeds show: every scope's events, parsed by icalendar,
recurring-ical-events and vobject; UIDs shared with the download; SEQUENCE,
DESCRIPTION by audience, cancelled dates, closures, the zone across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar
from sqlalchemy import update

from booking.accounts import service as accounts
from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.feeds import ics
from booking.reservations import service as bookings
from booking.reservations.models import Occurrence
from booking.resources import closures
from booking.resources import service as resources
from tests.feeds.feed_helpers import book, by_uid, events, parse_all, soon, subscribe
from tests.times import BERLIN, at


def get(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.content_type == "text/calendar; charset=utf-8"
    return response


def test_resource_feed_for_a_caretaker(client, tenant, hall, caretaker, citizen, make_resource):
    part = make_resource("Clubraum", "room", parent=hall)
    other = make_resource("Sporthalle")
    own = book(
        tenant,
        citizen,
        hall,
        soon(10),
        title="Geburtstag",
        guests=40,
        contact_phone="0170 1234567",
        note="Wir bringen Tische mit",
    )
    on_part = book(tenant, citizen, part, soon(12), title="Skatabend")
    elsewhere = book(tenant, citizen, other, soon(12), title="Turnier")
    path = subscribe(tenant, caretaker, "resource", resource=hall)

    body = get(client, path).get_data()
    found = by_uid(body)
    uid = ics.occurrence_uid(own.occurrences[0], tenant)
    assert set(found) == {uid, ics.occurrence_uid(on_part.occurrences[0], tenant)}
    assert ics.occurrence_uid(elsewhere.occurrences[0], tenant) not in found
    event = found[uid]
    assert str(event["SUMMARY"]) == "Geburtstag"
    assert str(event["LOCATION"]) == "Bürgerhaus, Hauptstraße 1, 12345 Musterhausen"
    assert str(found[ics.occurrence_uid(on_part.occurrences[0], tenant)]["LOCATION"]).startswith(
        "Bürgerhaus – Clubraum, Hauptstraße 1"
    )
    description = str(event["DESCRIPTION"])
    assert "Gebucht von: Carla Citizen" in description
    assert "Telefon: 0170 1234567" in description
    assert "Personen: 40" in description
    assert "Schlüsselübergabe: Schlüssel bei Familie Meier, Hausnr. 3" in description
    assert "Wir bringen Tische mit" in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    for name in ("DTSTAMP", "LAST-MODIFIED", "DTSTART", "DTEND"):
        assert name in event
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == own.occurrences[0].start_at

    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "Bürgerhaus – Gemeinde Musterhausen"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"METHOD:PUBLISH\r\n" in body
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"


def test_my_halls_feed_follows_the_caretakers_assignments(
    client, tenant, hall, caretaker, citizen, make_resource, clerk
):
    """A caretaker's "Meine Hallen" (scope resource without a resource):
    every hall assigned to them when the feed is polled, nothing else."""
    second, elsewhere = make_resource("Sporthalle"), make_resource("Turnhalle")
    in_hall = book(tenant, citizen, hall, soon(10), title="Geburtstag")
    in_second = book(tenant, citizen, second, soon(11), title="Turnier")
    book(tenant, citizen, elsewhere, soon(12), title="Fremd")
    path = subscribe(tenant, caretaker, "resource")
    uid_hall = ics.occurrence_uid(in_hall.occurrences[0], tenant)
    uid_second = ics.occurrence_uid(in_second.occurrences[0], tenant)

    body = get(client, path).get_data()
    assert set(by_uid(body)) == {uid_hall}
    assert str(Calendar.from_ical(body)["X-WR-CALNAME"]) == "Meine Hallen – Gemeinde Musterhausen"
    etag = get(client, path).headers["ETag"]

    resources.add_caretaker(tenant, None, second, caretaker)
    db.session.commit()
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200  # the assignment changed what it shows
    assert set(by_uid(response.get_data())) == {uid_hall, uid_second}


def test_my_halls_needs_the_caretaker_role(client, tenant, hall, caretaker, citizen, clerk):
    with pytest.raises(ValidationFailed):
        subscribe(tenant, clerk, "resource")  # staff pick a hall (or the whole tenant)
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        subscribe(tenant, citizen, "resource")
    db.session.rollback()
    path = subscribe(tenant, caretaker, "resource")
    assert client.get(path).status_code == 200
    accounts.revoke_role(tenant, None, caretaker, "caretaker")
    db.session.commit()
    assert client.get(path).status_code == 404


def test_the_download_and_the_feed_share_uids(client, login, tenant, hall, clerk, citizen):
    booking = book(
        tenant,
        citizen,
        hall,
        soon(10),
        title="Serie",
        recurrence={"freq": "weekly", "count": 3},
    )
    path = subscribe(tenant, clerk, "tenant")
    feed_uids = set(by_uid(get(client, path).get_data()))
    login(citizen)
    download = client.get(f"/{tenant.slug}/bookings/{booking.id}.ics").get_data()
    download_uids = {str(e["UID"]) for e in Calendar.from_ical(download).walk("VEVENT")}
    assert download_uids == feed_uids
    assert len(feed_uids) == 3


def test_a_weekly_booking_keeps_its_wall_clock_across_both_dst_changes(
    client, tenant, hall, clerk, citizen
):
    # 60 weekly dates span more than a year: a spring and an autumn change.
    first = date.today() + timedelta(days=3)
    book(
        tenant,
        citizen,
        hall,
        at(first, "18:30"),
        title="Chorprobe",
        recurrence={"freq": "weekly", "count": 60},
    )
    body = get(client, subscribe(tenant, clerk, "resource", resource=hall)).get_data()
    calendar = parse_all(body)
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert len(starts) == 60
    offsets = {s.utcoffset() for s in starts}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    assert {(s.hour, s.minute) for s in starts} == {(18, 30)}
    assert all(b - a == timedelta(days=7) for a, b in pairwise(starts))

    expanded = recurring_ical_events.of(calendar).between(
        datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=500)
    )
    local = sorted(e.decoded("DTSTART").astimezone(BERLIN) for e in expanded)
    assert len(local) == 60
    assert {(s.hour, s.minute) for s in local} == {(18, 30)}

    parsed = vobject.readOne(body.decode())
    vstarts = sorted(v.dtstart.value for v in parsed.vevent_list)
    assert {(s.hour, s.minute) for s in vstarts} == {(18, 30)}
    assert {s.astimezone(BERLIN).strftime("%H:%M") for s in vstarts} == {"18:30"}
    assert {s.utcoffset() for s in vstarts} == {timedelta(hours=1), timedelta(hours=2)}


LONG = (
    "Jahreshauptversammlung des Männergesangvereins „Frohsinn“ 1887 e. V. "
    "mit Ehrungen für 25, 40 und 50 Jahre Treue 🎉🎶 — anschließend gemütliches "
    "Beisammensein bei Würstchen, Brötchen & Getränken 🍻 (Grüße an Ömer, Ünal und Zoë)"
)


def test_long_german_text_with_emoji_folds_by_octets(client, tenant, hall, clerk, citizen):
    book(tenant, citizen, hall, soon(10), title=LONG[:200], note=LONG * 2, guests=12)
    body = get(client, subscribe(tenant, clerk, "tenant")).get_data()
    lines = body[:-2].split(b"\r\n")
    assert body.endswith(b"\r\n")
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # never split inside a UTF-8 sequence
    unfolded = body.replace(b"\r\n ", b"").decode("utf-8")
    assert f"SUMMARY:{LONG[:200]}".replace(",", "\\,") in unfolded
    (event,) = events(body)
    assert str(event["SUMMARY"]) == LONG[:200]
    assert (ics.text_value(LONG) * 2)[:100] in str(event["DESCRIPTION"])
    parsed = vobject.readOne(body.decode())
    assert parsed.vevent.summary.value == LONG[:200]
    assert len(LONG.encode()) > 3 * 75


def test_cancelled_dates_shown_for_thirty_days_then_left_out(client, tenant, hall, clerk, citizen):
    recent = book(tenant, citizen, hall, soon(10), title="Abgesagt")
    old = book(tenant, citizen, hall, soon(11), title="Lange abgesagt")
    bookings.cancel_booking(tenant, citizen, recent, reason="Krank")
    bookings.cancel_booking(tenant, citizen, old)
    db.session.execute(
        update(Occurrence)
        .where(Occurrence.booking_id == old.id)
        .values(cancelled_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    body = get(client, subscribe(tenant, clerk, "resource", resource=hall)).get_data()
    found = by_uid(body)
    assert set(found) == {ics.occurrence_uid(recent.occurrences[0], tenant)}
    (event,) = found.values()
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert "Grund der Absage: Krank" in str(event["DESCRIPTION"])


def test_a_rejected_booking_is_cancelled_in_the_feed(client, tenant, make_resource, clerk, citizen):
    hall = make_resource("Rathaussaal", requires_approval=True, observe_holidays=False)
    booking = book(tenant, citizen, hall, soon(10), title="Antrag")
    path = subscribe(tenant, clerk, "resource", resource=hall)
    (event,) = events(get(client, path).get_data())
    assert str(event["STATUS"]) == "TENTATIVE"
    bookings.reject_booking(tenant, clerk, booking, reason="Belegt")
    db.session.commit()
    (event,) = events(get(client, path).get_data())
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] >= 1


def test_closures_are_all_day_events_in_staff_feeds(client, tenant, hall, clerk, citizen):
    first = date.today() + timedelta(days=20)
    whole = closures.create_closure(
        tenant,
        clerk,
        start=at(first, "00:00"),
        end=at(first + timedelta(days=2), "00:00"),
        reason="Renovierung",
        resource=hall,
    )
    everywhere = closures.create_closure(
        tenant,
        clerk,
        start=at(first + timedelta(days=5), "00:00"),
        end=at(first + timedelta(days=6), "00:00"),
        reason="Betriebsausflug",
    )
    partly = closures.create_closure(
        tenant,
        clerk,
        start=at(first + timedelta(days=7), "08:00"),
        end=at(first + timedelta(days=7), "12:00"),
        reason="Wartung",
        resource=hall,
    )
    db.session.commit()
    for path in (
        subscribe(tenant, clerk, "resource", resource=hall),
        subscribe(tenant, clerk, "tenant"),
    ):
        body = get(client, path).get_data()
        found = by_uid(body)
        event = found[f"closure-{whole.id}@{tenant.slug}.kommunalbuchung"]
        assert event.decoded("DTSTART") == first
        assert event.decoded("DTEND") == first + timedelta(days=2)
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert str(event["SUMMARY"]) == "Gesperrt: Renovierung"
        wide = found[f"closure-{everywhere.id}@{tenant.slug}.kommunalbuchung"]
        assert wide.decoded("DTEND") == first + timedelta(days=6)
        assert "Alle Räume" in str(wide["LOCATION"])
        timed = found[f"closure-{partly.id}@{tenant.slug}.kommunalbuchung"]
        assert timed.decoded("DTSTART").astimezone(BERLIN).hour == 8
        assert timed.decoded("DTEND").astimezone(BERLIN).hour == 12
    mine = get(client, subscribe(tenant, citizen, "mine")).get_data()
    assert b"closure-" not in mine


def test_mine_holds_own_and_managed_club_bookings(
    client, tenant, hall, citizen, other_citizen, make_user
):
    club = accounts.create_organisation(tenant, citizen, name="TSV Musterhausen")
    member = make_user("mitglied@example.org", name="Mia Mitglied")
    club.members.append(type(club.members[0])(user=member, is_manager=False))
    db.session.commit()
    mine = book(tenant, citizen, hall, soon(10), title="Meins", contact_phone="0171 1", guests=3)
    for_club = book(tenant, member, hall, soon(12), title="Vereinsabend", organisation=club)
    others = book(tenant, other_citizen, hall, soon(14), title="Fremd")
    body = get(client, subscribe(tenant, citizen, "mine")).get_data()
    found = by_uid(body)
    assert set(found) == {
        ics.occurrence_uid(mine.occurrences[0], tenant),
        ics.occurrence_uid(for_club.occurrences[0], tenant),
    }
    assert ics.occurrence_uid(others.occurrences[0], tenant) not in found
    description = str(found[ics.occurrence_uid(mine.occurrences[0], tenant)]["DESCRIPTION"])
    assert "Personen: 3" in description and "Schlüsselübergabe" in description
    assert "Gebucht von" not in description
    assert b"Otto" not in body and b"Fremd" not in body
    # The member (no manager) sees only what they booked themselves.
    assert set(by_uid(get(client, subscribe(tenant, member, "mine")).get_data())) == {
        ics.occurrence_uid(for_club.occurrences[0], tenant)
    }


def test_owner_feed_speaks_the_owners_language(client, tenant, hall, citizen):
    citizen.locale = "en"
    db.session.commit()
    book(tenant, citizen, hall, soon(10), title="Party", guests=5)
    body = get(client, subscribe(tenant, citizen, "mine")).get_data()
    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]).startswith("My bookings")
    (event,) = calendar.walk("VEVENT")
    assert "People: 5" in str(event["DESCRIPTION"])


def test_renaming_a_hall_raises_the_sequence_of_its_and_its_parts_dates(
    client, tenant, hall, clerk, citizen, admin, make_resource
):
    part = make_resource("Saal", "room", parent=hall)
    unrelated = make_resource("Turnhalle")
    dates = [
        book(tenant, citizen, hall, soon(10)),
        book(tenant, citizen, part, soon(12)),
        book(tenant, citizen, unrelated, soon(12)),
    ]
    path = subscribe(tenant, clerk, "tenant")
    before = {uid: e["SEQUENCE"] for uid, e in by_uid(get(client, path).get_data()).items()}
    resources.update_resource(tenant, admin, hall, name="Bürgerhaus Nord")
    db.session.commit()
    after = by_uid(get(client, path).get_data())
    uids = [ics.occurrence_uid(b.occurrences[0], tenant) for b in dates]
    assert after[uids[0]]["SEQUENCE"] == before[uids[0]] + 1
    assert after[uids[1]]["SEQUENCE"] == before[uids[1]] + 1
    assert after[uids[2]]["SEQUENCE"] == before[uids[2]]
    assert str(after[uids[1]]["LOCATION"]).startswith("Bürgerhaus Nord – Saal")
    # A change that no feed prints (capacity) leaves the sequence alone.
    resources.update_resource(tenant, admin, hall, capacity=99)
    db.session.commit()
    again = by_uid(get(client, path).get_data())
    assert again[uids[0]]["SEQUENCE"] == after[uids[0]]["SEQUENCE"]


def test_cemetery_scope_shows_its_chapel(client, tenant, clerk, citizen, make_resource):
    from cemetery.models import Cemetery

    chapel = make_resource("Trauerhalle", "chapel", observe_holidays=False)
    cemetery = Cemetery(tenant_id=tenant.id, name="Friedhof Nord", chapel_resource_id=chapel.id)
    db.session.add(cemetery)
    db.session.commit()
    booking = book(tenant, clerk, chapel, soon(10), title="Trauerfeier")
    body = get(client, subscribe(tenant, clerk, "cemetery", cemetery=cemetery)).get_data()
    assert set(by_uid(body)) == {ics.occurrence_uid(booking.occurrences[0], tenant)}
    assert str(Calendar.from_ical(body)["X-WR-CALNAME"]).startswith("Friedhof Nord")


def test_the_window_leaves_out_old_and_far_dates(client, tenant, hall, clerk, citizen):
    near = book(tenant, citizen, hall, soon(10))
    old = book(tenant, citizen, hall, soon(11))
    db.session.execute(
        update(Occurrence)
        .where(Occurrence.booking_id == old.id)
        .values(
            start_at=utcnow() - timedelta(days=100), end_at=utcnow() - timedelta(days=100, hours=-1)
        )
    )
    db.session.commit()
    body = get(client, subscribe(tenant, clerk, "tenant")).get_data()
    assert set(by_uid(body)) == {ics.occurrence_uid(near.occurrences[0], tenant)}


def test_one_feed_takes_a_fixed_number_of_queries(
    client, tenant, hall, clerk, citizen, count_queries
):
    path = subscribe(tenant, clerk, "tenant")
    book(tenant, citizen, hall, soon(3), recurrence={"freq": "weekly", "count": 2})
    with count_queries() as few:
        get(client, path)
    book(tenant, citizen, hall, soon(4), recurrence={"freq": "weekly", "count": 40})
    with count_queries() as many:
        get(client, path)
    assert len(many) == len(few)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_other_zones(client, make_tenant, make_user, make_resource, zone):
    from zoneinfo import ZoneInfo

    place = make_tenant("anderswo", timezone=zone)
    clerk = make_user("c@example.org", tenant=place, roles=("clerk",))
    hall = make_resource("Hall", of_tenant=place, observe_holidays=False)
    tz = ZoneInfo(zone)
    first = datetime.now(tz).date() + timedelta(days=3)
    start = datetime.combine(first, datetime.min.time().replace(hour=19)).replace(tzinfo=tz)
    book(place, clerk, hall, start.astimezone(UTC), recurrence={"freq": "weekly", "count": 60})
    body = get(client, subscribe(place, clerk, "tenant")).get_data()
    calendar = parse_all(body)
    assert str(calendar["X-WR-TIMEZONE"]) == zone
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert {s.astimezone(tz).hour for s in starts} == {19}
    parsed = vobject.readOne(body.decode())
    assert {v.dtstart.value.astimezone(tz).hour for v in parsed.vevent_list} == {19}
    if zone == "UTC":
        assert not calendar.walk("VTIMEZONE")
        assert b"DTSTART:" in body and b"Z\r\n" in body
    else:
        (vtimezone,) = calendar.walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == zone
