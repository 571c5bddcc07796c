"""The price function: every rule of ``booking.fees.pricing`` with a test that
fails without it. Pure: no app, no database."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from booking.core import ValidationFailed
from booking.fees.pricing import (
    CALENDAR_DAY,
    HOUR_STEP_MINUTES,
    DayDefinition,
    Fee,
    FeeItem,
    billed_days,
    billed_hours,
    percent_of,
    price,
    round_half_up,
)
from booking.fees.rules import FeeRule
from tests.fees.helpers import BERLIN, FIRST_TUESDAY, at, hesse, no_holidays, rule, span, tuesdays

SATURDAY = date(2027, 3, 6)
SUNDAY = date(2027, 3, 7)
SPRING_FORWARD = date(2027, 3, 28)  # Europe/Berlin: 02:00 → 03:00, a 23-hour day
FALL_BACK = date(2027, 10, 31)  # 03:00 → 02:00, a 25-hour day
CORPUS_CHRISTI = date(2027, 5, 27)  # a Thursday; a holiday in Hesse, not in Berlin
HESSE = hesse()


def fee_of(rules, occurrences, category="resident", **kwargs) -> Fee:
    return price(
        rules, category, occurrences, BERLIN, kwargs.pop("is_holiday", no_holidays), **kwargs
    )


def labels(fee: Fee) -> list[str]:
    return [item["label"] for item in fee.to_dict("de_DE")["items"]]


# --- rounding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("0.45", 0), ("3752.5", 3753)],
)
def test_round_half_up_rounds_halves_up_not_to_even(value, expected):
    assert round_half_up(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("cents", "expected"),
    # 15 % of 1 cent steps: 0.15, 0.3, 0.45 → 0; 0.6 → 1; 10 ct → 1.5 → 2; 30 ct → 4.5 → 5
    [(1, 0), (2, 0), (3, 0), (4, 1), (10, 2), (30, 5), (70, 11), (4500, 675)],
)
def test_percent_of_rounds_half_up_to_whole_cents(cents, expected):
    assert percent_of(cents, 15) == expected


def test_surcharge_in_a_price_rounds_half_up():
    # 15 % of 0,10 € flat is 1,5 ct → 2 ct (banker's rounding would give 2 too; 0,30 € → 4,5 → 5 not 4)
    fee = fee_of(
        [rule(unit="booking", amount_cents=30, weekend_surcharge_percent=15)],
        [span(SATURDAY, "10:00", "12:00")],
    )
    assert fee.amount_cents == 35
    assert [item.amount_cents for item in fee.items] == [30, 5]


# --- per hour ----------------------------------------------------------------------


def test_per_hour_whole_hours():
    fee = fee_of([rule()], [span(FIRST_TUESDAY, "18:00", "21:00")])
    assert fee.amount_cents == 4500
    assert fee.currency == "EUR"
    assert labels(fee) == ["Nutzungsentgelt: 3 Std. à 15,00\xa0€"]


def test_per_hour_is_billed_per_started_hour():
    assert HOUR_STEP_MINUTES == 60
    assert fee_of([rule()], [span(FIRST_TUESDAY, "18:00", "21:01")]).amount_cents == 6000
    assert fee_of([rule()], [span(FIRST_TUESDAY, "18:00", "20:59")]).amount_cents == 4500
    assert fee_of([rule()], [span(FIRST_TUESDAY, "18:00", "18:01")]).amount_cents == 1500


def test_per_hour_with_half_hour_steps_rounds_the_amount_half_up():
    occurrence = [span(FIRST_TUESDAY, "18:00", "20:10")]  # 2 h 10 min → 2,5 h
    fee = fee_of([rule(amount_cents=1501)], occurrence, hour_step_minutes=30)
    assert fee.amount_cents == 3753  # 2,5 × 15,01 € = 37,525 € → 37,53 €
    assert labels(fee) == ["Nutzungsentgelt: 2,5 Std. à 15,01\xa0€"]
    assert (
        fee_of([rule()], [span(FIRST_TUESDAY, "18:00", "20:30")], hour_step_minutes=30).amount_cents
        == 3750
    )


def test_an_unknown_hour_step_is_refused():
    with pytest.raises(ValueError, match="hour_step_minutes"):
        fee_of([rule()], tuesdays(1), hour_step_minutes=45)


def test_per_hour_on_the_23_hour_day_bills_23_hours():
    midnight_to_midnight = (
        at(SPRING_FORWARD, "00:00"),
        at(SPRING_FORWARD + timedelta(days=1), "00:00"),
    )
    assert billed_hours(*midnight_to_midnight) == 23
    fee = fee_of([rule(amount_cents=1000)], [midnight_to_midnight])
    assert fee.amount_cents == 23_000


def test_per_hour_across_the_spring_change_counts_real_time():
    # 01:00–04:00 local on the night the clocks go forward is two real hours
    assert fee_of([rule()], [span(SPRING_FORWARD, "01:00", "04:00")]).amount_cents == 3000


def test_per_hour_on_the_25_hour_day_bills_25_hours():
    midnight_to_midnight = (at(FALL_BACK, "00:00"), at(FALL_BACK + timedelta(days=1), "00:00"))
    assert fee_of([rule(amount_cents=1000)], [midnight_to_midnight]).amount_cents == 25_000


# --- per day -----------------------------------------------------------------------


def test_per_day_counts_each_calendar_day_touched_by_default():
    evening = span(SATURDAY, "18:00", "02:00")  # Saturday 18:00 to Sunday 02:00
    assert billed_days(*evening, BERLIN) == 2
    fee = fee_of([rule(unit="day", amount_cents=20000)], [evening])
    assert fee.amount_cents == 40000
    assert labels(fee) == ["Nutzungsentgelt: 2 Tage à 200,00\xa0€"]


def test_per_day_an_end_at_midnight_does_not_touch_the_next_day():
    assert billed_days(*span(FIRST_TUESDAY, "10:00", "00:00"), BERLIN) == 1
    fee = fee_of([rule(unit="day", amount_cents=20000)], [span(FIRST_TUESDAY, "10:00", "00:00")])
    assert labels(fee) == ["Nutzungsentgelt: 1 Tag à 200,00\xa0€"]


def test_per_day_counts_days_in_the_tenants_zone_not_utc():
    # 00:30–01:30 Berlin is 23:30–00:30 UTC: two UTC dates, one local day
    assert billed_days(*span(FIRST_TUESDAY, "00:30", "01:30"), BERLIN) == 1


def test_per_day_with_a_later_day_start_makes_an_evening_one_day():
    evening = span(SATURDAY, "18:00", "02:00")
    six = DayDefinition(starts_at=time(6))
    assert billed_days(*evening, BERLIN, six) == 1
    # … and a date from 05:00 to 07:00 touches two of those days
    assert billed_days(*span(SATURDAY, "05:00", "07:00"), BERLIN, six) == 2
    fee = fee_of([rule(unit="day", amount_cents=20000)], [evening], day=six)
    assert fee.amount_cents == 20000


def test_per_day_rolling_counts_started_24_hours():
    rolling = DayDefinition(mode="rolling")
    assert billed_days(*span(SATURDAY, "18:00", "02:00"), BERLIN, rolling) == 1
    assert billed_days(at(SATURDAY, "18:00"), at(SUNDAY, "18:00"), BERLIN, rolling) == 1
    assert billed_days(at(SATURDAY, "18:00"), at(SUNDAY, "18:01"), BERLIN, rolling) == 2


def test_per_day_rolling_uses_the_wall_clock_across_a_dst_change():
    # midnight to midnight on the 25-hour day: 25 real hours, one day on the wall clock
    day = (at(FALL_BACK, "00:00"), at(FALL_BACK + timedelta(days=1), "00:00"))
    assert billed_days(*day, BERLIN, DayDefinition(mode="rolling")) == 1
    assert billed_days(*day, BERLIN) == 1


def test_per_day_on_the_23_hour_day_is_one_day():
    day = (at(SPRING_FORWARD, "00:00"), at(SPRING_FORWARD + timedelta(days=1), "00:00"))
    assert fee_of([rule(unit="day", amount_cents=20000)], [day]).amount_cents == 20000


def test_per_day_several_days():
    three = (at(SATURDAY, "08:00"), at(SATURDAY + timedelta(days=2), "20:00"))
    assert fee_of([rule(unit="day", amount_cents=10000)], [three]).amount_cents == 30000


def test_day_definition_refuses_nonsense():
    with pytest.raises(ValueError):
        DayDefinition(mode="weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DayDefinition(starts_at=time(6, 0, 30))
    assert DayDefinition() == CALENDAR_DAY


# --- flat per booking, series, skipped dates ------------------------------------------


def test_flat_fee_is_per_date_of_a_series():
    fee = fee_of([rule(unit="booking", amount_cents=8000)], tuesdays(12))
    assert fee.amount_cents == 12 * 8000
    assert labels(fee) == ["Nutzungsentgelt pauschal: 12 × 80,00\xa0€"]
    single = fee_of([rule(unit="booking", amount_cents=8000)], tuesdays(1))
    assert labels(single) == ["Nutzungsentgelt (pauschal)"]


def test_a_series_is_priced_per_date_and_summed():
    fee = fee_of([rule()], tuesdays(12))
    assert fee.amount_cents == 12 * 4500
    assert len(fee.occurrences) == 12
    assert {o.amount_cents for o in fee.occurrences} == {4500}
    assert labels(fee) == ["Nutzungsentgelt: 12 × 3 Std. à 15,00\xa0€"]


def test_a_skipped_date_costs_nothing():
    series = tuesdays(12)
    without_third = series[:2] + series[3:]
    fee = fee_of([rule(cleaning_cents=1500)], without_third)
    assert fee.amount_cents == 11 * (4500 + 1500)
    assert series[2] not in [(o.start, o.end) for o in fee.occurrences]


def test_dates_of_different_length_get_their_own_lines():
    occurrences = [*tuesdays(2), span(date(2027, 3, 4), "18:00", "22:00")]
    fee = fee_of([rule()], occurrences)
    assert labels(fee) == [
        "Nutzungsentgelt: 2 × 3 Std. à 15,00\xa0€",
        "Nutzungsentgelt: 4 Std. à 15,00\xa0€",
    ]
    assert fee.amount_cents == 2 * 4500 + 6000


# --- surcharge ---------------------------------------------------------------------


def test_weekend_surcharge_only_on_the_saturday_of_a_series():
    occurrences = [*tuesdays(3), span(SATURDAY, "18:00", "21:00")]
    fee = fee_of([rule(weekend_surcharge_percent=25)], occurrences)
    surcharged = [o for o in fee.occurrences if o.surcharge_cents]
    assert [o.start for o in surcharged] == [at(SATURDAY, "18:00")]
    assert surcharged[0].surcharge_cents == 1125  # 25 % of 45,00 €
    assert fee.amount_cents == 4 * 4500 + 1125
    assert labels(fee)[-1] == "Wochenend-/Feiertagszuschlag 25\xa0% auf 45,00\xa0€"


def test_sunday_is_surcharged_too_and_several_dates_share_a_line():
    occurrences = [span(SATURDAY, "10:00", "13:00"), span(SUNDAY, "10:00", "13:00")]
    fee = fee_of([rule(weekend_surcharge_percent=25)], occurrences)
    assert fee.amount_cents == 2 * (4500 + 1125)
    assert labels(fee)[-1] == "Wochenend-/Feiertagszuschlag 25\xa0% auf 2 × 45,00\xa0€"


def test_holiday_surcharge_through_the_callers_calendar():
    thursday = [span(CORPUS_CHRISTI, "18:00", "21:00")]
    surcharged = fee_of([rule(weekend_surcharge_percent=50)], thursday, is_holiday=HESSE)
    assert surcharged.amount_cents == 4500 + 2250
    plain = fee_of([rule(weekend_surcharge_percent=50)], thursday)  # e.g. Berlin: no holiday
    assert plain.amount_cents == 4500


def test_the_surcharge_day_is_the_local_date_of_the_start():
    # Saturday 00:30 Berlin is Friday 23:30 UTC: a weekend date
    fee = fee_of([rule(weekend_surcharge_percent=25)], [span(SATURDAY, "00:30", "01:30")])
    assert fee.occurrences[0].surcharge_cents == 375
    # Friday 23:00 to Saturday 01:00 starts on Friday: no surcharge
    friday = fee_of(
        [rule(weekend_surcharge_percent=25)], [span(date(2027, 3, 5), "23:00", "01:00")]
    )
    assert friday.occurrences[0].surcharge_cents == 0


def test_the_holiday_callable_is_asked_with_the_local_date():
    asked = []

    def is_holiday(day: date) -> bool:
        asked.append(day)
        return False

    fee_of(
        [rule(weekend_surcharge_percent=25)],
        [span(FIRST_TUESDAY, "00:30", "01:30")],
        is_holiday=is_holiday,
    )
    assert asked == [FIRST_TUESDAY]


def test_cleaning_carries_no_surcharge():
    fee = fee_of(
        [rule(weekend_surcharge_percent=50, cleaning_cents=2000)],
        [span(SATURDAY, "10:00", "12:00")],
    )
    assert fee.occurrences[0].surcharge_cents == 1500
    assert fee.amount_cents == 3000 + 1500 + 2000


# --- minimum, cleaning, deposit ------------------------------------------------------


def test_minimum_charge_raises_the_base_fee_of_a_short_date():
    fee = fee_of([rule(minimum_cents=4000)], [span(FIRST_TUESDAY, "18:00", "19:00")])
    assert fee.amount_cents == 4000
    assert labels(fee) == ["Mindestentgelt"]


def test_minimum_charge_leaves_a_longer_date_alone():
    fee = fee_of([rule(minimum_cents=4000)], [span(FIRST_TUESDAY, "18:00", "21:00")])
    assert fee.amount_cents == 4500
    assert labels(fee) == ["Nutzungsentgelt: 3 Std. à 15,00\xa0€"]


def test_minimum_charge_is_per_date():
    short = [span(FIRST_TUESDAY + timedelta(weeks=n), "18:00", "19:00") for n in range(3)]
    fee = fee_of([rule(minimum_cents=4000)], [*short, span(date(2027, 3, 4), "18:00", "21:00")])
    assert fee.amount_cents == 3 * 4000 + 4500
    assert labels(fee) == ["Nutzungsentgelt: 3 Std. à 15,00\xa0€", "Mindestentgelt: 3 × 40,00\xa0€"]


def test_the_surcharge_applies_to_the_minimum():
    fee = fee_of(
        [rule(minimum_cents=4000, weekend_surcharge_percent=25)], [span(SATURDAY, "18:00", "19:00")]
    )
    assert fee.amount_cents == 4000 + 1000


def test_cleaning_is_charged_per_date():
    fee = fee_of([rule(cleaning_cents=1500)], tuesdays(3))
    assert fee.amount_cents == 3 * (4500 + 1500)
    assert labels(fee) == [
        "Nutzungsentgelt: 3 × 3 Std. à 15,00\xa0€",
        "Reinigungspauschale: 3 × 15,00\xa0€",
    ]
    assert labels(fee_of([rule(cleaning_cents=1500)], tuesdays(1)))[-1] == "Reinigungspauschale"


def test_the_deposit_is_once_per_booking_and_not_in_the_amount():
    fee = fee_of([rule(deposit_cents=20000)], tuesdays(12))
    assert fee.deposit_cents == 20000
    assert fee.amount_cents == 12 * 4500
    assert sum(item["amount_cents"] for item in fee.to_dict()["items"]) == fee.amount_cents


# --- free use, missing rules ---------------------------------------------------------


def test_free_category_costs_nothing_with_an_item_saying_so():
    rules = [
        rule(),
        rule(
            category="local_club",
            amount_cents=5000,
            cleaning_cents=2000,
            weekend_surcharge_percent=25,
            free=True,
        ),
    ]
    fee = fee_of(rules, [*tuesdays(3), span(SATURDAY, "10:00", "12:00")], category="local_club")
    assert fee.amount_cents == 0
    assert fee.deposit_cents == 0
    assert labels(fee) == ["Gebührenfrei (örtlicher Verein)"]
    assert fee.to_dict()["items"] == [
        {"label": "Gebührenfrei (örtlicher Verein)", "amount_cents": 0}
    ]
    assert all(o.amount_cents == 0 for o in fee.occurrences) and len(fee.occurrences) == 4


def test_free_category_keeps_a_deposit_when_one_is_set():
    fee = fee_of(
        [rule(category="local_club", free=True, deposit_cents=10000)],
        tuesdays(2),
        category="local_club",
    )
    assert (fee.amount_cents, fee.deposit_cents) == (0, 10000)


def test_a_category_without_a_rule_is_a_validation_error():
    with pytest.raises(ValidationFailed) as refusal:
        fee_of([rule()], tuesdays(1), category="commercial")
    assert list(refusal.value.fields) == ["category"]
    assert "gewerblich" in str(refusal.value.fields["category"][0])
    assert refusal.value.status == 422


def test_a_resource_without_rules_costs_nothing():
    fee = fee_of([], tuesdays(2), category="commercial")
    assert (fee.amount_cents, fee.items, fee.deposit_cents) == (0, (), 0)
    assert [o.amount_cents for o in fee.occurrences] == [0, 0]


def test_no_dates_cost_nothing_and_ask_no_deposit():
    fee = fee_of([rule(deposit_cents=20000)], [])
    assert (fee.amount_cents, fee.items, fee.deposit_cents) == (0, (), 0)


def test_the_rule_of_the_category_is_used():
    rules = [rule(), rule(category="commercial", amount_cents=4500)]
    assert fee_of(rules, tuesdays(1), category="commercial").amount_cents == 3 * 4500
    assert fee_of(rules, tuesdays(1), category="resident").amount_cents == 3 * 1500


def test_a_zero_amount_gives_no_zero_line():
    fee = fee_of([rule(amount_cents=0, cleaning_cents=2000)], tuesdays(2))
    assert labels(fee) == ["Reinigungspauschale: 2 × 20,00\xa0€"]
    assert fee.amount_cents == 4000


# --- input that is a programming error ---------------------------------------------------


def test_naive_instants_are_refused():
    start, end = tuesdays(1)[0]
    with pytest.raises(ValueError, match="aware"):
        fee_of([rule()], [(start.replace(tzinfo=None), end)])


@pytest.mark.parametrize("minutes", [0, -60])
def test_an_end_not_after_the_start_is_refused(minutes):
    start, _end = tuesdays(1)[0]
    with pytest.raises(ValueError, match="end after"):
        fee_of([rule()], [(start, start + timedelta(minutes=minutes))])


def test_a_fee_whose_items_do_not_add_up_cannot_be_made():
    with pytest.raises(ValueError, match="add up"):
        Fee(amount_cents=100, items=(FeeItem("cleaning", count=1, each_cents=99),))


# --- the API's shape and the labels' languages -------------------------------------------


def test_to_dict_has_the_api_shape():
    fee = fee_of([rule(cleaning_cents=1500, deposit_cents=5000)], tuesdays(2))
    assert fee.to_dict() == {
        "amount_cents": 12000,
        "currency": "EUR",
        "items": [
            {"label": "Nutzungsentgelt: 2 × 3 Std. à 15,00\xa0€", "amount_cents": 9000},
            {"label": "Reinigungspauschale: 2 × 15,00\xa0€", "amount_cents": 3000},
        ],
        "deposit_cents": 5000,
    }


def test_labels_format_money_in_the_locale_asked_for():
    fee = fee_of([rule(amount_cents=150000)], tuesdays(2))
    assert labels(fee) == ["Nutzungsentgelt: 2 × 3 Std. à 1.500,00\xa0€"]
    english = fee.to_dict(Locale.parse("en_GB"))["items"][0]["label"]
    assert "€1,500.00" in english
    assert fee.items[0].label() == labels(fee)[0]  # outside a request: German


def test_labels_follow_the_requests_locale_unless_one_is_given():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "en_GB")
    fee = fee_of([rule()], tuesdays(1))
    with app.test_request_context():
        assert fee.to_dict()["items"][0]["label"] == "Nutzungsentgelt: 3 Std. à €15.00"
        assert fee.to_dict("de_DE")["items"][0]["label"] == "Nutzungsentgelt: 3 Std. à 15,00\xa0€"
        # the forced locale ends with the call
        assert fee.items[0].label() == "Nutzungsentgelt: 3 Std. à €15.00"


# --- properties ------------------------------------------------------------------------

rules_strategy = st.builds(
    FeeRule,
    category=st.just("resident"),
    unit=st.sampled_from(["hour", "day", "booking"]),
    amount_cents=st.integers(0, 100_000),
    cleaning_cents=st.integers(0, 20_000),
    deposit_cents=st.integers(0, 50_000),
    weekend_surcharge_percent=st.integers(0, 100),
    minimum_cents=st.integers(0, 50_000),
    free=st.booleans(),
)

dates_strategy = st.lists(
    st.tuples(
        st.integers(0, 400),  # days after FIRST_TUESDAY
        st.integers(0, 24 * 60 - 1),  # start minute of the day
        st.integers(1, 3 * 24 * 60),  # duration in minutes
    ),
    max_size=12,
)


def _occurrences(dates):
    result = []
    for day, minute, duration in dates:
        start = at(FIRST_TUESDAY + timedelta(days=day), "00:00") + timedelta(minutes=minute)
        result.append((start, start + timedelta(minutes=duration)))
    return result


@given(rules_strategy, dates_strategy, st.sampled_from([15, 30, 60]))
def test_items_and_dates_always_add_up_and_are_never_negative(fee_rule, dates, step):
    fee = fee_of([fee_rule], _occurrences(dates), is_holiday=HESSE, hour_step_minutes=step)
    assert sum(item.amount_cents for item in fee.items) == fee.amount_cents
    assert sum(o.amount_cents for o in fee.occurrences) == fee.amount_cents
    assert all(item.amount_cents >= 0 for item in fee.items)
    assert all(isinstance(item.amount_cents, int) for item in fee.items)
    assert fee.amount_cents >= 0 and fee.deposit_cents >= 0
    if not fee_rule.free:
        assert fee.amount_cents >= len(dates) * (fee_rule.minimum_cents + fee_rule.cleaning_cents)
    else:
        assert fee.amount_cents == 0


@given(rules_strategy, dates_strategy, st.integers(0, 100), st.integers(0, 100))
def test_a_higher_surcharge_never_lowers_the_price(fee_rule, dates, low, high):
    low, high = sorted((low, high))
    occurrences = _occurrences(dates)
    values = fee_rule.to_dict()
    cheap = fee_of(
        [FeeRule(**{**values, "weekend_surcharge_percent": low})], occurrences, is_holiday=HESSE
    )
    dear = fee_of(
        [FeeRule(**{**values, "weekend_surcharge_percent": high})], occurrences, is_holiday=HESSE
    )
    assert cheap.amount_cents <= dear.amount_cents


@given(rules_strategy, dates_strategy, dates_strategy)
def test_a_booking_costs_the_sum_of_its_parts(fee_rule, first, second):
    both = fee_of([fee_rule], _occurrences(first + second), is_holiday=HESSE)
    one = fee_of([fee_rule], _occurrences(first), is_holiday=HESSE)
    other = fee_of([fee_rule], _occurrences(second), is_holiday=HESSE)
    assert both.amount_cents == one.amount_cents + other.amount_cents


@given(rules_strategy, dates_strategy)
def test_a_longer_date_never_costs_less(fee_rule, dates):
    occurrences = _occurrences(dates)
    longer = [(start, end + timedelta(minutes=90)) for start, end in occurrences]
    assert (
        fee_of([fee_rule], occurrences, is_holiday=HESSE).amount_cents
        <= fee_of([fee_rule], longer, is_holiday=HESSE).amount_cents
    )
