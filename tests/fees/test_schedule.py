"""The example fee schedule in config/ and the loader that refuses bad files
with a message naming the entry and field."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from booking.fees.cancellation import Band
from booking.fees.pricing import DayDefinition, price
from booking.fees.rules import CATEGORIES
from booking.fees.schedule import (
    EXAMPLE_SCHEDULE,
    FeeScheduleError,
    load_schedule,
    parse_schedule,
)
from tests.fees.helpers import BERLIN, hesse, span, tuesdays

HALL: dict[str, Any] = {
    "description": "Saal",
    "rules": [{"category": "resident", "unit": "day", "amount_cents": 20000}],
    "cancellation": [{"days_before": 14, "percent": 0}],
}
GOOD: dict[str, Any] = {
    "currency": "EUR",
    "hour_step_minutes": 60,
    "day": {"mode": "calendar", "starts_at": "00:00"},
    "kinds": {"hall": HALL},
}


def refusal(data: object) -> FeeScheduleError:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(FeeScheduleError) as error:
        parse_schedule(text, source="gebuehren.json")
    return error.value


def with_kind(**entry) -> dict:
    return {**GOOD, "kinds": {"hall": {**HALL, **entry}}}


def test_the_example_schedule_loads():
    schedule = load_schedule()
    assert (
        Path(__file__).resolve().parents[2] / "config" / "fee_schedule.example.json"
        == EXAMPLE_SCHEDULE
    )
    assert set(schedule.kinds) == {"hall", "room", "sports_hall"}
    for kind in schedule.kinds.values():
        assert [rule.category for rule in kind.rules] == list(CATEGORIES)
    assert schedule.for_kind("hall").cancellation.bands == (Band(14, 0), Band(3, 50), Band(0, 100))
    assert schedule.for_kind("chapel") is None
    assert (schedule.currency, schedule.hour_step_minutes, schedule.day) == (
        "EUR",
        60,
        DayDefinition(),
    )


def test_the_example_prices_every_category_of_every_kind():
    schedule = load_schedule()
    for kind in schedule.kinds.values():
        for category in CATEGORIES:
            fee = price(kind.rules, category, tuesdays(2), BERLIN, hesse(), schedule.day)
            assert sum(item.amount_cents for item in fee.items) == fee.amount_cents
    sports = schedule.for_kind("sports_hall")
    club = price(sports.rules, "local_club", tuesdays(12), BERLIN, hesse())
    assert club.amount_cents == 0 and club.items[0].kind == "free"
    hall = schedule.for_kind("hall")
    party = price(
        hall.rules, "resident", [span(date(2027, 3, 6), "18:00", "02:00")], BERLIN, hesse()
    )
    assert party.amount_cents == 2 * 20000 + 10000 + 6000  # two days, Saturday +25 %, cleaning
    assert party.deposit_cents == 20000


def test_a_good_schedule_parses():
    schedule = parse_schedule(
        json.dumps({**GOOD, "day": {"mode": "rolling", "starts_at": "06:00"}})
    )
    assert schedule.day == DayDefinition(mode="rolling", starts_at=time(6))
    assert schedule.for_kind("hall").description == "Saal"


def test_defaults_of_an_almost_empty_schedule():
    schedule = parse_schedule("{}")
    assert (schedule.hour_step_minutes, schedule.day, dict(schedule.kinds)) == (
        60,
        DayDefinition(),
        {},
    )


@pytest.mark.parametrize(
    ("rule_change", "field"),
    [
        ({"category": "senior"}, "category"),
        ({"unit": "week"}, "unit"),
        ({"amount_cents": -100}, "amount_cents"),
        ({"weekend_surcharge_percent": 150}, "weekend_surcharge_percent"),
        ({"deposit_cents": 12.5}, "deposit_cents"),
    ],
)
def test_a_bad_rule_is_named_by_kind_entry_and_field(rule_change, field):
    rules = [{"category": "local_club", "unit": "booking", "amount_cents": 0}]
    rules.append({"category": "resident", "unit": "day", "amount_cents": 20000, **rule_change})
    error = refusal(with_kind(rules=rules))
    name = f"kinds.hall.rules[1].{field}"
    assert list(error.problems) == [name]
    assert str(error).startswith("gebuehren.json: invalid fee schedule")
    assert name in str(error)


def test_fractional_cents_in_the_file_are_refused_not_rounded():
    text = json.dumps(with_kind()).replace('"amount_cents": 20000', '"amount_cents": 20000.5')
    assert list(refusal(text).problems) == ["kinds.hall.rules[0].amount_cents"]


def test_a_duplicate_category_is_named():
    rule = {"category": "resident", "unit": "day", "amount_cents": 20000}
    error = refusal(with_kind(rules=[rule, rule]))
    assert list(error.problems) == ["kinds.hall.rules[1].category"]
    assert "Eintrag 1" in str(error)


def test_a_key_twice_in_one_object_is_refused():
    text = '{"kinds": {"hall": {"rules": []}, "hall": {"rules": []}}}'
    assert "hall" in refusal(text).problems


def test_a_bad_cancellation_policy_is_named():
    error = refusal(
        with_kind(
            cancellation=[{"days_before": 3, "percent": 50}, {"days_before": 14, "percent": 0}]
        )
    )
    assert list(error.problems) == ["kinds.hall.cancellation[1].days_before"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"hour_step_minutes": 45}, "hour_step_minutes"),
        ({"hour_step_minutes": "60"}, "hour_step_minutes"),
        ({"day": {"mode": "week"}}, "day.mode"),
        ({"day": {"starts_at": "6 Uhr"}}, "day.starts_at"),
        ({"day": {"starts_at": "06:00:30"}}, "day.starts_at"),
        ({"day": {"length": 24}}, "day.length"),
        ({"day": "calendar"}, "day"),
        ({"fees": {}}, "fees"),
        ({"kinds": []}, "kinds"),
        ({"kinds": {"castle": {"rules": []}}}, "kinds.castle"),
        ({"kinds": {"hall": []}}, "kinds.hall"),
        ({"kinds": {"hall": {"rules": [], "notes": ""}}}, "kinds.hall.notes"),
        ({"kinds": {"hall": {"description": 3}}}, "kinds.hall.description"),
        ({"kinds": {"hall": {"rules": {}}}}, "kinds.hall.rules"),
    ],
)
def test_bad_settings_are_named(change, field):
    assert list(refusal({**GOOD, **change}).problems) == [field]


def test_not_json_names_the_line():
    error = refusal('{\n  "kinds": {,}\n}')
    assert "Zeile 2" in str(error)
    assert "gebuehren.json" in str(error)


def test_not_an_object():
    assert list(refusal("[]").problems) == ["file"]


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(FeeScheduleError, match=r"nirgends\.json"):
        load_schedule(tmp_path / "nirgends.json")


def test_a_file_is_read_as_utf8(tmp_path):
    path = tmp_path / "gebuehren.json"
    path.write_text(
        json.dumps(with_kind(description="Bürgerhaus für Größeres"), ensure_ascii=False), "utf-8"
    )
    assert load_schedule(path).for_kind("hall").description == "Bürgerhaus für Größeres"
    path.write_bytes('{"description": "Bürger"}'.encode("cp1252"))
    with pytest.raises(FeeScheduleError, match=r"gebuehren\.json"):
        load_schedule(path)
