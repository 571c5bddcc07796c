"""Grave rights: acquiring, extending in whole years (billed), transfer,
surrender, the burial rule (rest period inside the right), Reihengrab
allocation in order, and two concurrent allocations getting different
plots."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import Conflict, Forbidden, ValidationFailed
from booking.extensions import db
from booking.fees.models import Invoice
from booking.tenants.models import Tenant
from cemetery import fees, register, rights, rules
from cemetery.models import Cemetery, GraveRight, GraveType, Plot
from tests.cemetery.test_register import add_burial

NOW = datetime(2027, 6, 15, 10, 0, tzinfo=UTC)
TODAY = date(2027, 6, 15)


@pytest.fixture
def holder(tenant):
    contact = rights.find_or_create_contact(
        tenant,
        name="Hans Halter",
        street="Lindenweg 3",
        postcode="35390",
        city="Gießen",
        email="hans@example.org",
    )
    db.session.commit()
    return contact


@pytest.fixture
def priced(tenant):
    """The example fee schedule (extensions and transfers cost something)."""
    document = fees.load_example(tenant, None)
    db.session.commit()
    return document


# --- contacts ------------------------------------------------------------------------


def test_find_or_create_contact_finds_the_same_person(app, tenant, holder):
    again = rights.find_or_create_contact(
        tenant,
        name="hans halter",
        street="Lindenweg 3",
        postcode="35390",
        city="GIESSEN".lower().replace("ss", "ß"),
        phone="0641 1",
    )
    assert again.id == holder.id and again.phone == "0641 1"
    other = rights.find_or_create_contact(tenant, name="Hans Halter", street="Anderswo 1")
    assert other.id != holder.id


def test_contact_needs_a_name_and_a_valid_email(app, tenant):
    with pytest.raises(ValidationFailed) as refusal:
        rights.find_or_create_contact(tenant, name=" ", email="kein-at")
    assert set(refusal.value.fields) == {"name", "email"}


# --- acquire -------------------------------------------------------------------------


def test_acquire_right_for_the_default_term(app, tenant, clerk, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "W-1", "wahlgrab")
    right = rights.acquire_right(
        tenant,
        clerk,
        plot,
        holder,
        start=date(2027, 3, 1),
        certificate_number="GU-2027-17",
        now=NOW,
    )
    db.session.commit()
    assert right.end_date == date(2057, 3, 1)  # Wahlgrab: 30 years
    assert right.certificate_number == "GU-2027-17"
    assert [e.kind for e in right.events] == ["acquired"]
    assert rights.active_right(plot).id == right.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grave_right.acquire"))
    with pytest.raises(Conflict):
        rights.acquire_right(tenant, clerk, plot, holder, start=date(2027, 3, 1), now=NOW)


def test_acquire_on_29_february_ends_on_28_february(app, tenant, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "W-2", "wahlgrab")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2028, 2, 29), years=25)
    assert right.end_date == date(2053, 2, 28)


def test_acquire_refuses_blocked_plots_and_bad_years(app, tenant, cemetery, make_plot, holder):
    blocked = make_plot(cemetery, "W-3", blocked=True, blocked_reason="Wegebau")
    with pytest.raises(Conflict):
        rights.acquire_right(tenant, None, blocked, holder, start=TODAY)
    plot = make_plot(cemetery, "W-4")
    for years in (0, 101, "drei"):
        with pytest.raises(ValidationFailed) as refusal:
            rights.acquire_right(tenant, None, plot, holder, start=TODAY, years=years)
        assert "years" in refusal.value.fields


def test_only_staff_change_rights(app, tenant, citizen, funeral_home, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "W-5")
    for user in (citizen, funeral_home):
        with pytest.raises(Forbidden):
            rights.acquire_right(tenant, user, plot, holder, start=TODAY)
    right = rights.acquire_right(tenant, None, plot, holder, start=TODAY)
    with pytest.raises(Forbidden):
        rights.extend_right(tenant, funeral_home, right, 1)


# --- extend --------------------------------------------------------------------------


def test_extend_in_whole_years_billed_per_year(
    app, tenant, clerk, cemetery, make_plot, holder, priced
):
    plot = make_plot(cemetery, "W-6", "wahlgrab")
    right = rights.acquire_right(tenant, clerk, plot, holder, start=date(2000, 5, 1), bill=False)
    right.expiry_notified_at = NOW
    right, invoice = rights.extend_right(tenant, clerk, right, 3, now=NOW)
    db.session.commit()
    assert right.end_date == date(2033, 5, 1)
    assert right.expiry_notified_at is None
    expected = fees.extension_fee(tenant, plot.grave_type, 3)
    assert invoice is not None and invoice.subject == "cemetery"
    assert invoice.total_cents == expected.amount_cents == 3 * 6500
    event = right.events[-1]
    assert (event.kind, event.years, event.invoice_id) == ("extended", 3, invoice.id)
    assert event.details == {"old_end": "2030-05-01", "new_end": "2033-05-01"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grave_right.extend"))
    assert entry.before["end_date"] == "2030-05-01" and entry.after["end_date"] == "2033-05-01"


def test_extend_refuses_non_extendable_graves(app, tenant, clerk, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "R-1", "reihengrab")
    right = rights.acquire_right(tenant, clerk, plot, holder, start=TODAY, bill=False)
    with pytest.raises(ValidationFailed) as refusal:
        rights.extend_right(tenant, clerk, right, 1)
    assert "Reihengrab kann nicht verlängert werden" in str(refusal.value.fields["years"][0])


@pytest.mark.parametrize("years", [0, -1, 101, 1.5, "2", None, True])
def test_extend_needs_whole_years(app, tenant, cemetery, make_plot, holder, years):
    plot = make_plot(cemetery, "W-7")
    right = rights.acquire_right(tenant, None, plot, holder, start=TODAY, bill=False)
    if years == "2":  # a numeric text is a number (forms)
        assert rights.extend_right(tenant, None, right, years, bill=False)[0].end_date.year == 2059
        return
    with pytest.raises(ValidationFailed) as refusal:
        rights.extend_right(tenant, None, right, years, bill=False)
    assert "years" in refusal.value.fields


@pytest.mark.parametrize(
    ("end", "until", "years"),
    [
        (date(2030, 5, 1), date(2030, 5, 2), 1),  # one day over: a whole year
        (date(2030, 5, 1), date(2031, 5, 1), 1),  # exactly one year
        (date(2030, 5, 1), date(2031, 5, 2), 2),  # a year and a day: two
        (date(2030, 5, 1), date(2045, 1, 1), 15),
        (date(2028, 2, 29), date(2032, 2, 29), 4),  # 2029..2031 end on 28 Feb
    ],
)
def test_years_until_rounds_up_to_whole_years(app, end, until, years):
    right = GraveRight(start_date=date(2000, 1, 1), end_date=end)
    assert rights.years_until(right, until) == years
    assert rules.add_years(end, years) >= until > rules.add_years(end, years - 1)


def test_years_until_refuses_a_day_inside_the_right(app):
    right = GraveRight(start_date=date(2000, 1, 1), end_date=date(2030, 1, 1))
    with pytest.raises(ValidationFailed) as refusal:
        rights.years_until(right, date(2029, 1, 1))
    assert "until" in refusal.value.fields


def test_the_holder_may_extend_their_own_right(
    app, tenant, citizen, other_citizen, cemetery, make_plot
):
    mine = rights.find_or_create_contact(tenant, name="Carla Citizen", user_id=citizen.id)
    plot = make_plot(cemetery, "W-H", "wahlgrab")
    right = rights.acquire_right(tenant, None, plot, mine, start=date(2000, 5, 1), bill=False)
    rights.extend_right(tenant, citizen, right, 2, bill=False)
    assert right.end_date == date(2032, 5, 1) and right.events[-1].actor_id == citizen.id
    with pytest.raises(Forbidden):
        rights.extend_right(tenant, other_citizen, right, 2, bill=False)
    with pytest.raises(Forbidden):
        rights.transfer_right(tenant, citizen, right, mine, on=TODAY)


# --- transfer, surrender, close ------------------------------------------------------


def test_transfer_to_a_new_holder_bills_the_admin_fee(
    app, tenant, clerk, cemetery, make_plot, holder, priced
):
    plot = make_plot(cemetery, "W-8")
    right = rights.acquire_right(tenant, clerk, plot, holder, start=TODAY, bill=False)
    daughter = rights.find_or_create_contact(tenant, name="Tina Halter", city="Wetzlar")
    rights.transfer_right(
        tenant, clerk, right, daughter, on=TODAY, now=NOW, relation="Tochter (Kinder)"
    )
    db.session.commit()
    assert right.holder_id == daughter.id
    event = right.events[-1]
    assert event.kind == "transferred" and event.note == "Tochter (Kinder)"
    assert event.details["from_holder"]["name"] == "Hans Halter"
    fee = fees.admin_fee(tenant, "transfer")
    if fee.amount_cents:
        invoice = db.session.get(Invoice, event.invoice_id)
        assert invoice.recipient_name == "Tina Halter"
    with pytest.raises(ValidationFailed) as refusal:
        rights.transfer_right(tenant, clerk, right, daughter, on=TODAY)
    assert "holder" in refusal.value.fields


def test_surrender_is_refused_while_a_rest_period_runs(
    app, tenant, clerk, cemetery, make_plot, holder
):
    plot = make_plot(cemetery, "W-9")
    right = rights.acquire_right(tenant, clerk, plot, holder, start=date(2000, 1, 1), bill=False)
    add_burial(plot, buried=date(2001, 1, 1), rest_until=date(2026, 1, 1))
    add_burial(plot, buried=date(2010, 1, 1), rest_until=date(2035, 1, 1), place=2)
    with pytest.raises(ValidationFailed) as refusal:
        rights.surrender_right(tenant, clerk, right, on=TODAY, now=NOW)
    assert "01.01.2035" in str(refusal.value.fields["on"][0])
    # Nor by naming a day after the rest period: the right would end now.
    with pytest.raises(ValidationFailed) as later:
        rights.surrender_right(tenant, clerk, right, on=date(2035, 1, 2), reason="Umzug", now=NOW)
    assert "on" in later.value.fields
    assert right.status == "active"


def test_expired_rights_are_listed_and_closed(app, tenant, clerk, cemetery, make_plot, holder):
    old = make_plot(cemetery, "E-1", "reihengrab")
    right = rights.acquire_right(tenant, clerk, old, holder, start=date(1995, 1, 1), bill=False)
    running = make_plot(cemetery, "E-2", "reihengrab")
    rights.acquire_right(tenant, clerk, running, holder, start=date(2010, 1, 1), bill=False)
    assert [r.id for r in rights.expired_rights(tenant, TODAY)] == [right.id]
    assert [r.plot.code for r in rights.rights_ending(tenant, date(2036, 1, 1))] == ["E-1", "E-2"]
    assert [r.plot.code for r in rights.rights_ending(tenant, date(2036, 1, 1), since=TODAY)] == [
        "E-2"
    ]
    rights.close_right(tenant, clerk, right, on=TODAY, now=NOW)
    assert rights.expired_rights(tenant, TODAY) == []
    assert register.status_of(tenant, old, TODAY) == "free"


# --- the burial rule ------------------------------------------------------------------


def rest(cemetery, kind, buried, died=None, born=None, grave_type=None):
    return rules.rest_until(cemetery, kind, buried, died or buried, born, grave_type)


def test_rest_periods_coffin_urn_and_children(app, cemetery):
    buried = date(2027, 6, 15)
    assert rest(cemetery, "coffin", buried) == date(2052, 6, 15)  # 25 years
    assert rest(cemetery, "urn", buried) == date(2047, 6, 15)  # 20 years
    child = rest(cemetery, "coffin", buried, born=date(2020, 1, 1))
    assert child == date(2042, 6, 15)  # 15 years under ten
    assert rest(cemetery, "urn", buried, born=date(2017, 6, 16)) == date(2042, 6, 15)
    # Ten on the day of death: an adult's rest period.
    assert rest(cemetery, "urn", buried, born=date(2017, 6, 15)) == date(2047, 6, 15)
    assert rest(cemetery, "coffin", date(2028, 2, 29)) == date(2053, 2, 28)


def test_a_burial_inside_the_right_changes_nothing(app, tenant, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "B-1", "wahlgrab")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2020, 1, 1), bill=False)
    got, years = rights.right_for_burial(
        tenant, None, plot, rest_until=date(2045, 1, 1), burial_date=TODAY, holder=None, now=NOW
    )
    assert (got.id, years, got.end_date) == (right.id, 0, date(2050, 1, 1))


def test_a_burial_beyond_an_extendable_right_extends_it(
    app, tenant, funeral_home, cemetery, make_plot, holder, priced
):
    plot = make_plot(cemetery, "B-2", "wahlgrab")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2000, 3, 1), bill=False)
    assert right.end_date == date(2030, 3, 1)
    until = rest(cemetery, "coffin", TODAY)  # 2052-06-15
    got, years = rights.right_for_burial(
        tenant, funeral_home, plot, rest_until=until, burial_date=TODAY, holder=None, now=NOW
    )
    assert years == 23  # 2030-03-01 + 22 = 2052-03-01 < 2052-06-15: a 23rd year begun
    assert got.end_date == date(2053, 3, 1) and got.end_date >= until
    assert got.events[-1].kind == "extended" and got.events[-1].years == 23


def test_a_burial_beyond_a_non_extendable_right_is_refused(
    app, tenant, cemetery, make_plot, holder
):
    plot = make_plot(cemetery, "B-3", "urnenreihengrab")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2010, 1, 1), bill=False)
    with pytest.raises(ValidationFailed) as refusal:
        rights.right_for_burial(
            tenant,
            None,
            plot,
            rest_until=date(2047, 6, 15),
            burial_date=TODAY,
            holder=None,
            now=NOW,
        )
    message = str(refusal.value.fields["plot_id"][0])
    assert "kann nicht verlängert werden" in message and "15.06.2047" in message
    assert right.end_date == date(2030, 1, 1)


def test_a_free_plot_gets_a_new_right_covering_the_rest_period(
    app, tenant, cemetery, make_plot, holder
):
    plot = make_plot(cemetery, "B-4", "urnenreihengrab")  # term 20 years
    until = rest(cemetery, "coffin", TODAY)  # 25 years (a long rest period)
    right, years = rights.right_for_burial(
        tenant,
        None,
        plot,
        rest_until=until,
        burial_date=TODAY,
        holder=holder,
        now=NOW,
        bill=False,
    )
    assert years == 0 and right.start_date == TODAY and right.end_date == until
    other = make_plot(cemetery, "B-5", "wahlgrab")  # term 30 > rest period
    right, _ = rights.right_for_burial(
        tenant,
        None,
        other,
        rest_until=until,
        burial_date=TODAY,
        holder=holder,
        now=NOW,
        bill=False,
    )
    assert right.end_date == date(2057, 6, 15)
    third = make_plot(cemetery, "B-6", "wahlgrab")
    with pytest.raises(ValidationFailed) as refusal:
        rights.right_for_burial(
            tenant, None, third, rest_until=until, burial_date=TODAY, holder=None, now=NOW
        )
    assert "holder" in refusal.value.fields


def test_a_burial_on_29_february_and_a_childs_burial(app, tenant, cemetery, make_plot, holder):
    leap = date(2028, 2, 29)
    plot = make_plot(cemetery, "L-1", "urnenreihengrab")  # term 20 years
    until = rest(cemetery, "coffin", leap)
    assert until == date(2053, 2, 28)
    right, _ = rights.right_for_burial(
        tenant, None, plot, rest_until=until, burial_date=leap, holder=holder, now=NOW, bill=False
    )
    assert (right.start_date, right.end_date) == (leap, date(2053, 2, 28))
    kind = register.grave_type_by_key(tenant, "kindergrab")
    child = rest(cemetery, "coffin", TODAY, born=date(1990, 1, 1), grave_type=kind)
    assert child == date(2042, 6, 15)  # a Kindergrab: the child's rest period
    grave = make_plot(cemetery, "K-1", "kindergrab")
    right, _ = rights.right_for_burial(
        tenant,
        None,
        grave,
        rest_until=child,
        burial_date=TODAY,
        holder=holder,
        now=NOW,
        bill=False,
    )
    assert right.end_date == date(2042, 6, 15)  # the term (15 years) covers it
    with pytest.raises(ValidationFailed):  # a second, adult urn later outlasts it
        rights.right_for_burial(
            tenant,
            None,
            grave,
            rest_until=rest(cemetery, "urn", date(2030, 1, 1)),
            burial_date=date(2030, 1, 1),
            holder=None,
            now=NOW,
        )


# --- allocation ----------------------------------------------------------------------


def test_reihengraeber_are_allocated_in_order(app, tenant, cemetery, make_plot, holder):
    register.create_plot_row(
        tenant, None, cemetery, section="B", row="1", first=1, count=4, grave_type="reihengrab"
    )
    register.create_plot_row(
        tenant, None, cemetery, section="A", row="2", first=1, count=2, grave_type="reihengrab"
    )
    make_plot(cemetery, "A-0-WAHL", "wahlgrab", section="A")
    db.session.commit()
    kind = register.grave_type_by_key(tenant, "reihengrab")
    codes = db.session.scalars(select(Plot.code).where(Plot.grave_type_id == kind.id))
    by_code = {p.code: p for p in db.session.scalars(select(Plot))}
    assert sorted(codes)
    # A-2-01 taken by a right, A-2-02 blocked: B-1-01 is next.
    rights.acquire_right(tenant, None, by_code["A-2-01"], holder, start=TODAY, bill=False)
    by_code["A-2-02"].blocked = True
    # B-1-01 still has a rest period running (an old burial without a right).
    add_burial(by_code["B-1-01"], buried=date(2010, 1, 1))
    got = rights.allocate_plot(tenant, cemetery, kind, "coffin", TODAY)
    assert got.code == "B-1-02"
    rights.acquire_right(tenant, None, got, holder, start=TODAY, bill=False)
    assert rights.allocate_plot(tenant, cemetery, kind, "coffin", TODAY).code == "B-1-03"
    # On the day after the old rest period, B-1-01 comes first again.
    assert rights.allocate_plot(tenant, cemetery, kind, "coffin", date(2035, 1, 2)).code == "B-1-01"
    # No urn places in a Reihengrab.
    with pytest.raises(Conflict):
        rights.allocate_plot(tenant, cemetery, kind, "urn", TODAY)


def test_allocation_with_no_free_plot_is_a_conflict(app, tenant, cemetery):
    kind = register.grave_type_by_key(tenant, "urnenreihengrab")
    with pytest.raises(Conflict):
        rights.allocate_plot(tenant, cemetery, kind, "urn", TODAY)


def test_two_concurrent_allocations_get_different_plots(app, tenant, cemetery, holder):
    register.create_plot_row(
        tenant, None, cemetery, section="C", row="1", first=1, count=3, grave_type="reihengrab"
    )
    db.session.commit()
    ids = (tenant.id, cemetery.id, holder.id)
    kind_id = register.grave_type_by_key(tenant, "reihengrab").id
    db.session.commit()
    threads_n = 2
    barrier = threading.Barrier(threads_n)
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        from cemetery.models import Contact

        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                cemetery_ = db.session.get(Cemetery, ids[1])
                holder_ = db.session.get(Contact, ids[2])
                kind = db.session.get(GraveType, kind_id)
                _ = (tenant_.timezone, cemetery_.name, holder_.name, kind.key)
                db.session.commit()
                barrier.wait(timeout=60)
                plot = rights.allocate_plot(tenant_, cemetery_, kind, "coffin", TODAY)
                rights.acquire_right(tenant_, None, plot, holder_, start=TODAY, bill=False)
                code = plot.code
                db.session.commit()
                outcome = code
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["C-1-01", "C-1-02"], results
