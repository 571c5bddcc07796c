"""The time grid's layout (booking.reservations.timegrid): pure, no app."""

from __future__ import annotations

from datetime import date, timedelta

from booking.reservations.timegrid import (
    DEFAULT_HOURS,
    Item,
    hour_range,
    layout,
    split_days,
)
from tests.times import BERLIN, at

MONDAY = date(2027, 3, 8)
WEEK = [MONDAY + timedelta(days=n) for n in range(7)]


def item(day: date, start: str, end: str, status: str = "confirmed", **kw) -> Item:
    end_day = day + timedelta(days=1) if end == "24:00" else day
    return Item(at(day, start), at(end_day, "00:00" if end == "24:00" else end), status, **kw)


def test_an_empty_week_has_seven_empty_days_and_the_default_hours():
    grid = layout(WEEK, BERLIN, [])
    assert [d.day for d in grid.days] == WEEK
    assert grid.empty
    assert (grid.first_hour, grid.last_hour) == DEFAULT_HOURS
    assert grid.rows == (DEFAULT_HOURS[1] - DEFAULT_HOURS[0]) * 4
    assert grid.hours[0].hour == 8 and grid.hours[0].row == 1 and grid.hours[1].row == 5


def test_the_hours_come_from_opening_hours_and_items():
    grid = layout(WEEK, BERLIN, [item(WEEK[2], "18:30", "23:15")], opening=[(9 * 60, 22 * 60)])
    assert (grid.first_hour, grid.last_hour) == (9, 24)
    assert hour_range([(7 * 60 + 30, 12 * 60)]) == (7, 12)
    assert hour_range([]) == DEFAULT_HOURS


def test_a_block_starts_and_spans_by_its_times():
    grid = layout(WEEK, BERLIN, [item(WEEK[1], "18:00", "22:00")], hours=(8, 24))
    (block,) = grid.days[1].blocks
    assert block.row == (18 - 8) * 4 + 1 and block.rows == 16
    assert (block.col, block.cols) == (1, 1)
    assert block.classes == "tg-r41 tg-h16 tg-c1 tg-w1"
    assert not grid.days[0].blocks and not grid.days[2].blocks


def test_quarter_hours_round_outwards_to_slots():
    grid = layout(WEEK, BERLIN, [item(MONDAY, "18:10", "19:05")], hours=(18, 20))
    (block,) = grid.days[0].blocks
    assert (block.row, block.rows) == (1, 5)  # 18:00–19:15


def test_a_booking_over_midnight_is_a_block_on_both_days():
    late = Item(at(WEEK[4], "21:00"), at(WEEK[5], "02:00"), "confirmed", "Party")
    grid = layout(WEEK, BERLIN, [late])
    assert (grid.first_hour, grid.last_hour) == (0, 24)
    (friday,) = grid.days[4].blocks
    (saturday,) = grid.days[5].blocks
    assert (friday.row, friday.rows) == (21 * 4 + 1, 12) and friday.goes_on
    assert not friday.from_before
    assert (saturday.row, saturday.rows) == (1, 8) and saturday.from_before
    assert not saturday.goes_on
    assert friday.end == saturday.start == at(WEEK[5], "00:00")


def test_split_days_cuts_at_local_midnight():
    pieces = split_days(at(MONDAY, "22:00"), at(WEEK[2], "01:00"), WEEK, BERLIN)
    assert [d for d, _s, _e in pieces] == WEEK[:3]
    assert pieces[1][1:] == (at(WEEK[1], "00:00"), at(WEEK[2], "00:00"))


def test_the_spring_dst_day_of_23_hours_keeps_wall_clock_rows():
    spring = date(2027, 3, 28)  # 02:00 → 03:00 in Berlin
    days = [spring - timedelta(days=6) + timedelta(days=n) for n in range(7)]
    night = Item(at(spring, "01:00"), at(spring, "04:00"), "confirmed")  # two real hours
    evening = Item(at(spring, "18:00"), at(spring, "20:00"), "confirmed")
    grid = layout(days, BERLIN, [night, evening], hours=(0, 24))
    assert (night.end - night.start) == timedelta(hours=2)
    blocks = grid.days[6].blocks
    assert [(b.row, b.rows) for b in blocks] == [(5, 12), (73, 8)]  # 01:00–04:00, 18:00–20:00
    whole = Item(at(spring, "00:00"), at(spring + timedelta(days=1), "00:00"), "closed")
    (block,) = layout(days, BERLIN, [whole], hours=(0, 24)).days[6].blocks
    assert (whole.end - whole.start) == timedelta(hours=23)
    assert (block.row, block.rows) == (1, 96)


def test_the_autumn_dst_day_of_25_hours_keeps_wall_clock_rows():
    autumn = date(2027, 10, 31)  # 03:00 → 02:00 in Berlin
    days = [autumn - timedelta(days=6) + timedelta(days=n) for n in range(7)]
    whole = Item(at(autumn, "00:00"), at(autumn + timedelta(days=1), "00:00"), "closed")
    evening = Item(at(autumn, "18:00"), at(autumn, "20:00"), "confirmed")
    assert (whole.end - whole.start) == timedelta(hours=25)
    grid = layout(days, BERLIN, [whole, evening], hours=(0, 24))
    spans = {b.item.status: (b.row, b.rows) for b in grid.days[6].blocks}
    assert spans == {"closed": (1, 96), "confirmed": (73, 8)}
    # The second 02:30 of that night (UTC 01:30) is drawn in the 02:30 row.
    second = at(autumn, "02:00") + timedelta(hours=1, minutes=30)
    repeated = Item(second, second + timedelta(minutes=15), "requested")
    (block,) = layout(days, BERLIN, [repeated], hours=(0, 24)).days[6].blocks
    assert (block.row, block.rows) == (2 * 4 + 3, 1)


def test_overlapping_blocks_stand_side_by_side():
    confirmed = item(MONDAY, "18:00", "22:00", "confirmed")
    request = item(MONDAY, "19:00", "21:00", "requested")
    later = item(MONDAY, "22:00", "23:00", "confirmed")
    grid = layout(WEEK, BERLIN, [confirmed, request, later], hours=(8, 24))
    day = grid.days[0]
    assert day.tracks == 2 and day.columns == 2
    place = {(b.item.status, b.row): (b.col, b.cols) for b in day.blocks}
    assert place[("confirmed", 41)] == (1, 1)
    assert place[("requested", 45)] == (2, 1)
    assert place[("confirmed", 57)] == (1, 2)  # alone again: the lane's full width


def test_a_closure_over_a_booking_hides_neither():
    booking = item(MONDAY, "10:00", "12:00", "confirmed")
    closure = item(MONDAY, "08:00", "18:00", "closed")
    day = layout(WEEK, BERLIN, [booking, closure]).days[0]
    cols = {b.item.status: (b.col, b.cols) for b in day.blocks}
    assert cols["closed"] != cols["confirmed"]
    assert {cols["closed"][0], cols["confirmed"][0]} == {1, 2}


def test_parts_are_lanes_side_by_side_and_the_whole_hall_spans_them():
    half_a = item(MONDAY, "09:00", "11:00", first_lane=0, last_lane=0)
    half_b = item(MONDAY, "09:00", "12:00", first_lane=1, last_lane=1)
    whole = item(MONDAY, "18:00", "22:00", first_lane=0, last_lane=1)
    grid = layout(WEEK, BERLIN, [half_a, half_b, whole], lanes=["Saal A", "Saal B"])
    day = grid.days[0]
    assert grid.lanes == ["Saal A", "Saal B"] and day.columns == 2
    cols = {b.item.end: (b.col, b.cols) for b in day.blocks}
    assert cols[half_a.end] == (1, 1)
    assert cols[half_b.end] == (2, 1)
    assert cols[whole.end] == (1, 2)


def test_a_whole_hall_item_that_overlaps_a_part_is_drawn_per_lane():
    closure = item(MONDAY, "08:00", "12:00", "closed", first_lane=0, last_lane=1)
    request = item(MONDAY, "09:00", "10:00", "requested", first_lane=1, last_lane=1)
    day = layout(WEEK, BERLIN, [closure, request], lanes=["A", "B"]).days[0]
    assert day.tracks == 2 and day.columns == 4
    closed = sorted((b.col, b.cols) for b in day.blocks if b.item.status == "closed")
    requested = [(b.col, b.cols) for b in day.blocks if b.item.status == "requested"]
    assert closed == [(1, 2), (3, 1)]  # lane A all of it, lane B shared
    assert requested == [(4, 1)]


def test_a_whole_day_item_fills_the_visible_hours_without_widening_them():
    holiday = Item(at(MONDAY, "00:00"), at(WEEK[1], "00:00"), "holiday", "Feiertag", whole_day=True)
    grid = layout(WEEK, BERLIN, [holiday, item(WEEK[1], "10:00", "12:00")], opening=[(480, 1320)])
    assert (grid.first_hour, grid.last_hour) == (8, 22)
    (block,) = grid.days[0].blocks
    assert (block.row, block.rows) == (1, grid.rows)
    assert not block.from_before and not block.goes_on


def test_items_outside_the_days_are_left_out():
    before = item(MONDAY - timedelta(days=1), "10:00", "12:00")
    assert layout(WEEK, BERLIN, [before]).empty
