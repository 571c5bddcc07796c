"""Cancellation policy: bands in local calendar days, the remaining fee and
the refund, partial cancellation of a series, and validation of a policy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.core import ValidationFailed
from booking.fees.cancellation import (
    FREE_CANCELLATION,
    Band,
    CancellationPolicy,
    cancel,
    charge_percent,
    days_before,
    parse_policy,
)
from booking.fees.pricing import price
from tests.fees.helpers import BERLIN, at, no_holidays, rule, span, tuesdays

POLICY = parse_policy(
    [
        {"days_before": 14, "percent": 0},
        {"days_before": 3, "percent": 50},
        {"days_before": 0, "percent": 100},
    ]
)
EVENT_DAY = date(2027, 3, 16)  # a Tuesday
EVENT = span(EVENT_DAY, "18:00", "21:00")


def fee_of(occurrences, **values):
    return price([rule(**values)], "resident", occurrences, BERLIN, no_holidays)


def percent_at(day: date, clock: str, policy: CancellationPolicy = POLICY) -> int:
    return charge_percent(policy, EVENT[0], at(day, clock), BERLIN)


# --- the bands, at their boundaries -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        (EVENT_DAY - timedelta(days=30), "12:00", 0),
        (EVENT_DAY - timedelta(days=15), "23:59", 0),
        (EVENT_DAY - timedelta(days=14), "00:00", 0),  # exactly 14 days before, local midnight
        (EVENT_DAY - timedelta(days=14), "23:59", 0),  # still the 14th day before
        (EVENT_DAY - timedelta(days=13), "00:00", 50),  # the next local day
        (EVENT_DAY - timedelta(days=3), "00:00", 50),
        (EVENT_DAY - timedelta(days=3), "23:59", 50),
        (EVENT_DAY - timedelta(days=2), "00:00", 100),
        (EVENT_DAY, "00:00", 100),  # the day itself: the 0-day band
        (EVENT_DAY, "17:59", 100),
    ],
)
def test_each_band_boundary(day, clock, expected):
    assert percent_at(day, clock) == expected


def test_days_are_local_calendar_days_not_utc_ones():
    # 00:30 Berlin on 3 March is 23:30 UTC on 2 March: 13 local days before (50 %),
    # though the UTC dates are 14 apart
    now = at(EVENT_DAY - timedelta(days=13), "00:30")
    assert now.date() == EVENT_DAY - timedelta(days=14)  # the UTC date
    assert days_before(EVENT[0], now, BERLIN) == 13
    assert charge_percent(POLICY, EVENT[0], now, BERLIN) == 50


def test_days_before_across_a_dst_change():
    # the clocks go forward on 28 March 2027; 14 days before 10 April is 27 March
    start = at(date(2027, 4, 10), "00:30")
    assert days_before(start, at(date(2027, 3, 27), "00:00"), BERLIN) == 14
    assert charge_percent(POLICY, start, at(date(2027, 3, 27), "23:59"), BERLIN) == 0
    assert charge_percent(POLICY, start, at(date(2027, 3, 28), "00:00"), BERLIN) == 50


def test_a_date_that_has_begun_owes_everything_whatever_the_policy():
    assert charge_percent(FREE_CANCELLATION, EVENT[0], EVENT[0], BERLIN) == 100
    assert charge_percent(FREE_CANCELLATION, EVENT[0], EVENT[0] + timedelta(days=3), BERLIN) == 100
    assert charge_percent(FREE_CANCELLATION, EVENT[0], EVENT[0] - timedelta(minutes=1), BERLIN) == 0


def test_closer_than_the_smallest_band_owes_everything():
    policy = parse_policy([{"days_before": 14, "percent": 0}, {"days_before": 3, "percent": 50}])
    assert percent_at(EVENT_DAY - timedelta(days=3), "12:00", policy) == 50
    assert percent_at(EVENT_DAY - timedelta(days=2), "12:00", policy) == 100


def test_an_empty_policy_is_free_until_the_start():
    assert percent_at(EVENT_DAY, "17:59", FREE_CANCELLATION) == 0
    assert parse_policy([]) == FREE_CANCELLATION


def test_further_ahead_than_every_band_takes_the_furthest():
    policy = parse_policy([{"days_before": 7, "percent": 20}, {"days_before": 0, "percent": 80}])
    assert percent_at(EVENT_DAY - timedelta(days=100), "12:00", policy) == 20


# --- the money ---------------------------------------------------------------------------


def test_cancelling_the_whole_booking_early_owes_nothing_and_refunds_what_was_paid():
    fee = fee_of([EVENT], deposit_cents=20000)
    result = cancel(
        POLICY,
        fee,
        [EVENT],
        at(EVENT_DAY - timedelta(days=20), "12:00"),
        BERLIN,
        paid_cents=4500,
        deposit_paid_cents=20000,
    )
    assert (result.remaining_cents, result.due_cents, result.refund_cents) == (0, 0, 4500)
    assert (result.deposit_cents, result.deposit_refund_cents) == (0, 20000)
    assert result.charge_cents == 0 and result.released_cents == 4500


def test_cancelling_late_keeps_the_share_of_the_policy():
    fee = fee_of([EVENT], cleaning_cents=1500)  # 60,00 € with cleaning
    result = cancel(POLICY, fee, [EVENT], at(EVENT_DAY - timedelta(days=5), "12:00"), BERLIN)
    assert result.dates[0].percent == 50
    assert result.dates[0].days_before == 5
    assert result.charge_cents == 3000
    assert (result.remaining_cents, result.due_cents, result.refund_cents) == (3000, 3000, 0)


def test_the_charge_rounds_half_up():
    fee = fee_of([EVENT], unit="booking", amount_cents=4501)
    result = cancel(POLICY, fee, [EVENT], at(EVENT_DAY - timedelta(days=5), "12:00"), BERLIN)
    assert result.charge_cents == 2251  # 50 % of 45,01 € = 22,505 € → 22,51 €


def test_paid_in_full_then_cancelled_late_refunds_the_difference():
    fee = fee_of([EVENT])
    result = cancel(
        POLICY, fee, [EVENT], at(EVENT_DAY - timedelta(days=5), "12:00"), BERLIN, paid_cents=4500
    )
    assert (result.remaining_cents, result.due_cents, result.refund_cents) == (2250, 0, 2250)


def test_partial_cancellation_of_one_date_of_a_series():
    series = tuesdays(12)  # 2 March … 18 May 2027, 45,00 € each
    fee = fee_of(series, deposit_cents=20000)
    third = series[2]  # 16 March
    now = at(date(2027, 3, 10), "09:00")  # 6 days before the third date
    result = cancel(POLICY, fee, [third], now, BERLIN, paid_cents=fee.amount_cents)
    assert [d.start for d in result.dates] == [third[0]]
    assert result.dates[0].percent == 50
    assert result.remaining_cents == 11 * 4500 + 2250
    assert result.refund_cents == 2250 and result.due_cents == 0
    assert (result.deposit_cents, result.deposit_refund_cents) == (20000, 0)  # dates remain


def test_cancelling_the_rest_later_counts_the_earlier_charges():
    series = tuesdays(3)
    first = cancel(POLICY, fee_of(series), [series[0]], at(date(2027, 2, 27), "09:00"), BERLIN)
    assert first.remaining_cents == 2 * 4500 + 2250
    rest = fee_of(series[1:], deposit_cents=5000)  # the dates still active, priced again
    second = cancel(
        POLICY,
        rest,
        series[1:],
        at(date(2027, 2, 27), "09:00"),
        BERLIN,
        owed_cents=first.remaining_cents,
        paid_cents=1000,
        deposit_paid_cents=5000,
    )
    assert [d.percent for d in second.dates] == [50, 0]  # 9 March: 10 days, 16 March: 17 days
    assert second.remaining_cents == 2250 + 2250
    assert (second.due_cents, second.refund_cents) == (3500, 0)
    assert (second.deposit_cents, second.deposit_refund_cents) == (0, 5000)


def test_a_free_booking_cancels_for_nothing():
    fee = price(
        [rule(category="local_club", free=True)], "local_club", tuesdays(2), BERLIN, no_holidays
    )
    result = cancel(POLICY, fee, tuesdays(2)[:1], at(date(2027, 3, 2), "12:00"), BERLIN)
    assert (result.remaining_cents, result.charge_cents, result.refund_cents) == (0, 0, 0)


def test_a_date_not_in_the_fee_is_a_programming_error():
    with pytest.raises(ValueError, match="not dates"):
        cancel(POLICY, fee_of([EVENT]), tuesdays(1), at(EVENT_DAY, "09:00"), BERLIN)


def test_inconsistent_amounts_are_refused():
    with pytest.raises(ValueError, match="owed_cents"):
        cancel(
            POLICY, fee_of([EVENT]), [EVENT], at(date(2027, 2, 1), "09:00"), BERLIN, owed_cents=100
        )
    with pytest.raises(ValueError, match="negative"):
        cancel(
            POLICY, fee_of([EVENT]), [EVENT], at(date(2027, 2, 1), "09:00"), BERLIN, paid_cents=-1
        )
    with pytest.raises(ValueError, match="aware"):
        cancel(
            POLICY,
            fee_of([EVENT]),
            [EVENT],
            at(date(2027, 2, 1), "09:00").replace(tzinfo=None),
            BERLIN,
        )


# --- validating a policy -------------------------------------------------------------------


def fields_of(items) -> dict:
    with pytest.raises(ValidationFailed) as refusal:
        parse_policy(items)
    return {name: [str(m) for m in messages] for name, messages in refusal.value.fields.items()}


def test_a_valid_policy_round_trips():
    assert POLICY.to_list() == [
        {"days_before": 14, "percent": 0},
        {"days_before": 3, "percent": 50},
        {"days_before": 0, "percent": 100},
    ]
    assert POLICY.bands[0] == Band(14, 0)


def test_bands_must_be_ordered_from_the_furthest():
    fields = fields_of([{"days_before": 3, "percent": 50}, {"days_before": 14, "percent": 0}])
    assert list(fields) == ["cancellation[1].days_before"]
    assert "absteigend" in fields["cancellation[1].days_before"][0]


def test_no_two_bands_for_the_same_day():
    fields = fields_of([{"days_before": 3, "percent": 50}, {"days_before": 3, "percent": 60}])
    assert fields == {"cancellation[1].days_before": ["Diese Tageszahl gibt es schon (Eintrag 1)."]}


def test_the_share_must_not_fall_as_the_date_nears():
    fields = fields_of([{"days_before": 14, "percent": 50}, {"days_before": 3, "percent": 20}])
    assert list(fields) == ["cancellation[1].percent"]


@pytest.mark.parametrize(
    ("band", "field"),
    [
        ({"days_before": 3, "percent": 101}, "percent"),
        ({"days_before": 3, "percent": -1}, "percent"),
        ({"days_before": 3, "percent": 50.5}, "percent"),
        ({"days_before": 3, "percent": "50"}, "percent"),
        ({"days_before": 3, "percent": True}, "percent"),
        ({"days_before": 3}, "percent"),
        ({"days_before": -1, "percent": 50}, "days_before"),
        ({"days_before": 3651, "percent": 50}, "days_before"),
        ({"days_before": 2.0, "percent": 50}, "days_before"),
        ({"percent": 50}, "days_before"),
        ({"days_before": 3, "percent": 50, "hours": 2}, "hours"),
    ],
)
def test_a_bad_band_is_named_with_its_field(band, field):
    fields = fields_of([{"days_before": 30, "percent": 0}, band])
    assert list(fields) == [f"cancellation[1].{field}"]


def test_a_policy_must_be_a_list_of_objects():
    assert list(fields_of({"days_before": 3})) == ["cancellation"]
    assert list(fields_of([3])) == ["cancellation[0]"]


def test_a_policy_built_in_code_is_checked_too():
    with pytest.raises(ValueError, match="cancellation policy"):
        CancellationPolicy((Band(3, 50), Band(14, 0)))


# --- properties ----------------------------------------------------------------------------

policies = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 100)), max_size=5, unique_by=lambda b: b[0]
).map(
    lambda bands: CancellationPolicy(
        tuple(
            Band(days, percent)
            for days, percent in zip(
                sorted((b[0] for b in bands), reverse=True),
                sorted(b[1] for b in bands),
                strict=True,
            )
        )
    )
)


@given(policies, st.integers(0, 90), st.integers(0, 90), st.integers(0, 100_000))
def test_cancelling_later_never_costs_less(policy, early, late, cents):
    early_day, late_day = sorted((early, late), reverse=True)  # days before the event
    fee = fee_of([EVENT], unit="booking", amount_cents=cents)
    sooner = cancel(
        policy, fee, [EVENT], at(EVENT_DAY - timedelta(days=early_day), "12:00"), BERLIN
    )
    later = cancel(policy, fee, [EVENT], at(EVENT_DAY - timedelta(days=late_day), "12:00"), BERLIN)
    assert 0 <= sooner.charge_cents <= later.charge_cents <= cents


@given(policies, st.integers(0, 90), st.integers(0, 12), st.integers(0, 1_000_000))
def test_what_is_owed_paid_and_refunded_fits_together(policy, days, count, paid):
    series = tuesdays(12)
    fee = fee_of(series)
    result = cancel(
        policy,
        fee,
        series[:count],
        at(date(2027, 3, 1), "12:00") - timedelta(days=days),
        BERLIN,
        paid_cents=paid,
    )
    assert result.remaining_cents == fee.amount_cents - result.released_cents
    assert result.remaining_cents - paid == result.due_cents - result.refund_cents
    assert min(result.due_cents, result.refund_cents) == 0
