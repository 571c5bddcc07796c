"""Fee rules in the API's shape: what ``parse_rules`` accepts and how it names
what it refuses (entry and field)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from booking.core import ValidationFailed
from booking.fees.rules import CATEGORIES, MAX_CENTS, UNITS, FeeRule, parse_rule, parse_rules

FULL = {
    "category": "commercial",
    "unit": "day",
    "amount_cents": 45000,
    "cleaning_cents": 8000,
    "deposit_cents": 50000,
    "weekend_surcharge_percent": 25,
    "minimum_cents": 0,
    "free": False,
}


def fields_of(items, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as refusal:
        parse_rules(items, **kwargs)
    assert refusal.value.status == 422
    return {name: [str(m) for m in messages] for name, messages in refusal.value.fields.items()}


def test_the_shape_of_the_api():
    assert CATEGORIES == ("resident", "local_club", "external", "commercial")
    assert UNITS == ("hour", "day", "booking")


def test_a_full_rule_round_trips():
    (parsed,) = parse_rules([FULL])
    assert parsed.to_dict() == FULL


def test_optional_fields_default_to_nothing():
    parsed = parse_rule({"category": "resident", "unit": "hour", "amount_cents": 1500})
    assert parsed == FeeRule("resident", "hour", 1500)
    assert (parsed.cleaning_cents, parsed.deposit_cents, parsed.minimum_cents) == (0, 0, 0)
    assert (parsed.weekend_surcharge_percent, parsed.free) == (0, False)


def test_every_category_and_unit_is_accepted():
    items = [
        {"category": category, "unit": unit, "amount_cents": 100}
        for category, unit in zip(CATEGORIES, (*UNITS, "hour"), strict=True)
    ]
    assert [r.category for r in parse_rules(items)] == list(CATEGORIES)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "senior"}, "category"),
        ({"category": None}, "category"),
        ({"unit": "week"}, "unit"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"cleaning_cents": -500}, "cleaning_cents"),
        ({"deposit_cents": -1}, "deposit_cents"),
        ({"minimum_cents": -1}, "minimum_cents"),
        ({"amount_cents": 12.5}, "amount_cents"),
        ({"amount_cents": 1200.0}, "amount_cents"),
        ({"amount_cents": Decimal("12.5")}, "amount_cents"),
        ({"amount_cents": "1200"}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"deposit_cents": None}, "deposit_cents"),
        ({"amount_cents": MAX_CENTS + 1}, "amount_cents"),
        ({"weekend_surcharge_percent": 101}, "weekend_surcharge_percent"),
        ({"weekend_surcharge_percent": -5}, "weekend_surcharge_percent"),
        ({"weekend_surcharge_percent": 12.5}, "weekend_surcharge_percent"),
        ({"free": "yes"}, "free"),
        ({"free": 1}, "free"),
        ({"deposit_cent": 100}, "deposit_cent"),
    ],
)
def test_a_bad_field_is_refused_naming_entry_and_field(change, field):
    good = {"category": "resident", "unit": "hour", "amount_cents": 1500}
    fields = fields_of([good, {**FULL, **change}])
    assert list(fields) == [f"items[1].{field}"]


def test_the_largest_amount_is_accepted():
    assert parse_rule({**FULL, "amount_cents": MAX_CENTS}).amount_cents == MAX_CENTS


@pytest.mark.parametrize("field", ["category", "unit", "amount_cents"])
def test_required_fields(field):
    data = {"category": "resident", "unit": "hour", "amount_cents": 1500}
    del data[field]
    assert fields_of([data]) == {f"items[0].{field}": ["Pflichtangabe."]}


def test_a_second_rule_for_a_category_is_refused():
    fields = fields_of([FULL, {**FULL, "unit": "hour"}])
    assert fields == {
        "items[1].category": ["Für diese Kundengruppe gibt es schon eine Regel (Eintrag 1)."]
    }


def test_every_problem_is_named_at_once():
    fields = fields_of([{"category": "x", "unit": "y", "amount_cents": -1}, "rule"])
    assert set(fields) == {
        "items[0].category",
        "items[0].unit",
        "items[0].amount_cents",
        "items[1]",
    }


def test_the_prefix_follows_where_the_rules_are():
    fields = fields_of([{**FULL, "amount_cents": -1}], where="kinds.hall.rules")
    assert list(fields) == ["kinds.hall.rules[0].amount_cents"]
    with pytest.raises(ValidationFailed) as refusal:
        parse_rule({**FULL, "amount_cents": -1})
    assert list(refusal.value.fields) == ["amount_cents"]


def test_rules_must_be_a_list():
    assert list(fields_of({"category": "resident"})) == ["items"]


def test_no_rules_are_no_rules():
    assert parse_rules([]) == ()


def test_a_rule_built_in_code_is_checked_too():
    with pytest.raises(ValueError, match="amount_cents"):
        FeeRule("resident", "hour", -1)
    with pytest.raises(ValueError, match="category"):
        FeeRule("senior", "hour", 100)  # type: ignore[arg-type]
