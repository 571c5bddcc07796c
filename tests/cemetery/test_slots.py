"""Free appointment slots: burial hours, Sundays, holidays, lead time, the
daily limit and the chapel's and the crew's claims — with one engine query."""

from __future__ import annotations

from datetime import date

from cemetery import slots
from tests.cemetery.test_burials import CORPUS_CHRISTI, FRI, NOW, SAT, THU, request
from tests.times import at


def days_of(starts):
    from tests.times import BERLIN

    return sorted({s.astimezone(BERLIN).date() for s in starts})


def test_slots_follow_hours_days_and_lead_time(app, tenant, cemetery):
    found = slots.free_slots(tenant, cemetery, kind="coffin", ceremony_minutes=0, days=21, now=NOW)
    days = days_of(found)
    assert days[0] == THU  # lead time: three working days
    assert date(2030, 6, 9) not in days  # Sunday
    assert CORPUS_CHRISTI not in days
    assert SAT in days
    thursday = [s for s in found if at(THU, "00:00") <= s < at(FRI, "00:00")]
    assert thursday[0] == at(THU, "09:00")
    assert thursday[-1] == at(THU, "14:30")
    assert len(thursday) == 12  # 9:00–14:30 every 30 minutes
    saturday = [s for s in found if at(SAT, "00:00") <= s < at(date(2030, 6, 9), "00:00")]
    assert saturday == [at(SAT, h) for h in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")]


def test_an_urn_may_come_sooner(app, tenant, cemetery):
    found = slots.free_slots(tenant, cemetery, kind="urn", ceremony_minutes=0, days=3, now=NOW)
    assert days_of(found)[0] == date(2030, 6, 5)


def test_claimed_starts_are_left_out(app, tenant, cemetery, make_plot, funeral_home):
    request(
        tenant,
        funeral_home,
        cemetery,
        make_plot(cemetery, "Q-1"),
        start=at(THU, "10:00"),
        ceremony_minutes=30,
    )  # chapel 10:00–10:30, crew 10:30–11:30
    without = slots.free_slots(tenant, cemetery, kind="coffin", ceremony_minutes=0, days=1, now=NOW)
    # The crew is needed 60 minutes: 10:00 would run into 10:30.
    assert at(THU, "10:00") not in without
    assert at(THU, "10:30") not in without
    assert at(THU, "11:00") not in without
    assert at(THU, "09:30") in without
    assert at(THU, "11:30") in without
    ceremony = slots.free_slots(
        tenant, cemetery, kind="coffin", ceremony_minutes=30, days=1, now=NOW
    )
    # With a ceremony: 9:30 needs the chapel 9:30–10:00 (free) and the crew 10:00–11:00 (taken from 10:30).
    assert at(THU, "09:30") not in ceremony
    assert at(THU, "09:00") in ceremony  # chapel 9:00–9:30, crew 9:30–10:30: both free
    assert at(THU, "11:30") in ceremony


def test_full_days_are_left_out(app, tenant, make_cemetery, make_plot, funeral_home):
    cemetery = make_cemetery(burials_per_day=1)
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "F-1"), start=at(THU, "10:00"))
    found = slots.free_slots(tenant, cemetery, kind="coffin", ceremony_minutes=0, days=2, now=NOW)
    assert days_of(found) == [FRI]


def test_one_engine_query_per_search(app, tenant, cemetery, make_plot, funeral_home, count_queries):
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "Z-1"), start=at(THU, "10:00"))
    slots.free_slots(tenant, cemetery, kind="coffin", ceremony_minutes=30, days=1, now=NOW)
    counts = []
    for days in (2, 30):
        with count_queries() as statements:
            found = slots.free_slots(
                tenant, cemetery, kind="coffin", ceremony_minutes=30, days=days, now=NOW
            )
        assert found
        claim_queries = [s for s in statements if "claim" in s.lower()]
        assert len(claim_queries) == 1, claim_queries
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4, counts  # day counts, claims, the resource trees
