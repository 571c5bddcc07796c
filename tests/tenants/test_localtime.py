"""Tenant-local time (booking.tenants.localtime): wall clock to UTC across
daylight saving, local days, RFC 3339 with the tenant's offset. Pure
functions: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from booking.tenants import localtime
from booking.tenants.models import Tenant

BERLIN = Tenant(slug="x", name="X", timezone="Europe/Berlin", state="HE")
NEW_YORK = Tenant(slug="y", name="Y", timezone="America/New_York", state="HE")
SPRING = date(2027, 3, 28)  # clocks go forward 02:00 → 03:00 in Berlin
AUTUMN = date(2027, 10, 31)  # and back 03:00 → 02:00


def test_the_wall_clock_stays_put_across_daylight_saving():
    winter = localtime.local_instant(BERLIN, date(2027, 3, 6), time(18))
    summer = localtime.local_instant(BERLIN, date(2027, 7, 6), time(18))
    assert winter == datetime(2027, 3, 6, 17, tzinfo=UTC)
    assert summer == datetime(2027, 7, 6, 16, tzinfo=UTC)
    tz = localtime.tenant_zone(BERLIN)
    assert localtime.wall_clock_to_utc(datetime(2027, 7, 6, 18), tz) == summer
    assert localtime.tenant_zone(NEW_YORK) is localtime.zone("America/New_York")


def test_minutes_into_day_count_from_local_midnight_and_1440_is_the_next():
    tz = localtime.tenant_zone(BERLIN)
    assert localtime.minutes_into_day(SPRING, 0, tz) == datetime(2027, 3, 27, 23, tzinfo=UTC)
    assert localtime.minutes_into_day(SPRING, 1440, tz) == datetime(2027, 3, 28, 22, tzinfo=UTC)
    assert localtime.minutes_into_day(SPRING, 18 * 60, tz) == datetime(2027, 3, 28, 16, tzinfo=UTC)


def test_day_bounds_follow_the_short_and_the_long_day():
    start, end = localtime.day_bounds(BERLIN, SPRING)
    assert end - start == timedelta(hours=23)
    start, end = localtime.day_bounds(BERLIN, AUTUMN)
    assert end - start == timedelta(hours=25)
    start, end = localtime.day_bounds(BERLIN, date(2027, 3, 22), 7)
    assert end - start == timedelta(days=7, hours=-1)


def test_local_days_today_and_monday():
    tz = localtime.tenant_zone(BERLIN)
    late = datetime(2027, 3, 6, 23, 30, tzinfo=UTC)  # 00:30 on the 7th in Berlin
    assert localtime.local_today(BERLIN, late) == date(2027, 3, 7)
    assert localtime.local_today(NEW_YORK, late) == date(2027, 3, 6)
    assert localtime.local_days(late, late + timedelta(hours=1), tz) == [date(2027, 3, 7)]
    # Half-open: ending at local midnight does not touch the next day.
    start, end = localtime.day_bounds(BERLIN, date(2027, 3, 6))
    assert localtime.local_days(start, end, tz) == [date(2027, 3, 6)]
    assert localtime.monday_of(date(2027, 3, 7)) == date(2027, 3, 1)
    assert localtime.monday_of(date(2027, 3, 1)) == date(2027, 3, 1)


def test_split_by_day_clips_to_each_local_day():
    start = localtime.local_instant(BERLIN, date(2027, 3, 6), time(22))
    end = localtime.local_instant(BERLIN, date(2027, 3, 7), time(2))
    days = [date(2027, 3, 6), date(2027, 3, 7), date(2027, 3, 8)]
    parts = localtime.split_by_day(BERLIN, start, end, days)
    midnight = localtime.local_instant(BERLIN, date(2027, 3, 7), time())
    assert parts == {date(2027, 3, 6): (start, midnight), date(2027, 3, 7): (midnight, end)}


def test_isoformat_answers_with_the_tenant_offset():
    instant = datetime(2027, 3, 6, 17, tzinfo=UTC)
    assert localtime.isoformat(instant, BERLIN) == "2027-03-06T18:00:00+01:00"
    assert localtime.isoformat(instant, localtime.zone("America/New_York")) == (
        "2027-03-06T12:00:00-05:00"
    )
