"""Burials: the appointment rules (day, hours, holiday, lead time, daily
limit), the chapel and the crew booked through the conflict engine, the
place and the right, confirm / propose / accept / cancel, mails, fees."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.core import Conflict, Forbidden, NotFound, ValidationFailed
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim
from booking.tenants.models import Tenant
from cemetery import burials, fees
from cemetery.models import Burial, Cemetery, GraveRight, Plot
from tests.outbox import composed_mail
from tests.times import at

# Monday 3 June 2030, 08:00 in Musterhausen (Hesse).
NOW = at(date(2030, 6, 3), "08:00")
TODAY = date(2030, 6, 3)
THU = date(2030, 6, 6)  # first day for a coffin (3 working days)
FRI = date(2030, 6, 7)
SAT = date(2030, 6, 8)
CORPUS_CHRISTI = date(2030, 6, 20)  # a public holiday in Hesse
DECEASED = {"name": "Erika Mustermann", "born": date(1940, 2, 1), "died": date(2030, 6, 1)}
HOLDER = {
    "name": "Max Mustermann",
    "street": "Hauptstr. 1",
    "postcode": "12345",
    "city": "Musterhausen",
}


@pytest.fixture
def plot(cemetery, make_plot) -> Plot:
    return make_plot(cemetery, "B-01-01", "wahlgrab")


def request(tenant, actor, cemetery, plot=None, *, start=None, **kwargs) -> Burial:
    kwargs.setdefault("kind", "coffin")
    kwargs.setdefault("deceased", DECEASED)
    if plot is not None:
        kwargs["plot"] = plot
    kwargs.setdefault("holder", HOLDER)
    burial = burials.create_burial(
        tenant, actor, cemetery, start=start or at(THU, "10:00"), now=NOW, **kwargs
    )
    db.session.commit()
    return burial


def fields_of(excinfo) -> dict:
    return excinfo.value.fields


# --- creating -------------------------------------------------------------------------


def test_a_funeral_home_request_books_chapel_and_crew(app, tenant, cemetery, plot, funeral_home):
    burial = request(tenant, funeral_home, cemetery, plot, ceremony_minutes=45)
    assert burial.status == "requested"
    assert burial.place == 1
    assert burial.burial_date == THU
    assert burial.rest_until == date(2055, 6, 6)  # 25 years for a coffin
    assert burial.deceased_name_key == "erika mustermann"
    chapel = db.session.get(Booking, burial.chapel_booking_id)
    crew = db.session.get(Booking, burial.crew_booking_id)
    assert (chapel.origin, chapel.status, chapel.title) == (
        "burial",
        "confirmed",
        "Bestattung Erika Mustermann",
    )
    assert chapel.resource_id == cemetery.chapel_resource_id
    assert crew.resource_id == cemetery.crew_resource_id
    (c,) = chapel.occurrences
    (k,) = crew.occurrences
    assert (c.start_at, c.end_at) == (at(THU, "10:00"), at(THU, "10:45"))
    assert (k.start_at, k.end_at) == (at(THU, "10:45"), at(THU, "11:45"))
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.active.is_(True))) == 2
    # The request changes no right and bills nothing; the clerk's confirmation does.
    assert burial.right_id is None and burial.holder.name == "Max Mustermann"
    assert db.session.scalar(select(func.count(GraveRight.id))) == 0
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "burial.create")
        )
        == 1
    )


def test_without_a_ceremony_only_the_crew_is_booked(app, tenant, cemetery, plot, funeral_home):
    burial = request(tenant, funeral_home, cemetery, plot)
    assert burial.chapel_booking_id is None
    crew = db.session.get(Booking, burial.crew_booking_id)
    assert crew.occurrences[0].start_at == at(THU, "10:00")


def test_a_clerk_entering_a_burial_confirms_it(app, tenant, cemetery, plot, clerk):
    burial = request(tenant, clerk, cemetery, plot)
    assert burial.status == "confirmed"
    assert burial.confirmed_at is not None


def test_a_citizen_may_not_request(app, tenant, cemetery, plot, citizen):
    with pytest.raises(Forbidden):
        request(tenant, citizen, cemetery, plot)


def test_another_tenants_cemetery_is_not_found(
    app, tenant, make_tenant, make_cemetery, funeral_home
):
    other = make_tenant("anderswo")
    foreign = make_cemetery(of_tenant=other)
    with pytest.raises(NotFound):
        burials.create_burial(
            tenant,
            funeral_home,
            foreign,
            kind="coffin",
            deceased=DECEASED,
            grave_type="reihengrab",
            start=at(THU, "10:00"),
            now=NOW,
        )


def test_bad_fields_are_named(app, tenant, cemetery, plot, funeral_home):
    with pytest.raises(ValidationFailed) as excinfo:
        burials.create_burial(
            tenant,
            funeral_home,
            cemetery,
            kind="box",
            deceased={"name": "", "born": "1990-13-01", "died": "2030-07-01"},
            plot=plot,
            start=at(THU, "10:00"),
            ceremony_minutes=-5,
            now=NOW,
        )
    assert {"kind", "deceased.name", "deceased.born", "deceased.died", "ceremony_minutes"} <= set(
        fields_of(excinfo)
    )
    assert db.session.scalar(select(func.count(Burial.id))) == 0


def test_born_after_died_and_burial_before_death_are_refused(
    app, tenant, cemetery, plot, funeral_home
):
    with pytest.raises(ValidationFailed) as excinfo:
        request(
            tenant,
            funeral_home,
            cemetery,
            plot,
            deceased={"name": "A", "born": date(2030, 6, 2), "died": date(2030, 6, 1)},
        )
    assert "deceased.born" in fields_of(excinfo)


def test_plot_or_grave_type_is_needed(app, tenant, cemetery, funeral_home):
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery)
    assert "plot_id" in fields_of(excinfo)


def test_a_chosen_grave_type_needs_a_plot(app, tenant, cemetery, funeral_home):
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, grave_type="wahlgrab")
    assert "grave_type" in fields_of(excinfo)


def test_a_reihengrab_is_allocated(app, tenant, cemetery, make_plot, funeral_home):
    make_plot(cemetery, "R-01", "reihengrab", sort_key=2)
    first = make_plot(cemetery, "R-00", "reihengrab", sort_key=1)
    burial = request(tenant, funeral_home, cemetery, grave_type="reihengrab")
    assert burial.plot_id == first.id


def test_a_new_grave_needs_a_holder(app, tenant, cemetery, plot, funeral_home):
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, plot, holder=None)
    assert "holder" in fields_of(excinfo)


def test_bad_holder_data_is_named(app, tenant, cemetery, plot, funeral_home):
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, plot, holder={"name": "X", "email": "nope"})
    assert "holder.email" in fields_of(excinfo)


def test_an_occupied_plot_is_a_conflict(app, tenant, cemetery, make_plot, funeral_home):
    single = make_plot(cemetery, "E-1", "reihengrab")
    request(tenant, funeral_home, cemetery, single)
    with pytest.raises(Conflict) as excinfo:
        request(tenant, funeral_home, cemetery, single, start=at(FRI, "10:00"))
    assert not isinstance(excinfo.value, BookingConflict)
    assert "belegt" in str(excinfo.value.message)


def test_an_urn_into_a_coffin_grave_with_urn_places(app, tenant, cemetery, plot, funeral_home):
    request(tenant, funeral_home, cemetery, plot)
    urn = request(tenant, funeral_home, cemetery, plot, kind="urn", start=at(FRI, "10:00"))
    assert (urn.kind, urn.place) == ("urn", 1)


def test_a_non_extendable_grave_refuses_a_rest_period_beyond_its_right(
    app, tenant, cemetery, make_plot, funeral_home
):
    from cemetery import rights

    grave = make_plot(cemetery, "R-9", "reihengrab")
    holder = rights.find_or_create_contact(tenant, name="Max")
    rights.acquire_right(tenant, None, grave, holder, start=date(2020, 1, 1), years=20, bill=False)
    db.session.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, grave)
    assert "plot_id" in fields_of(excinfo)


def test_a_confirmed_request_acquires_the_right_for_the_holder_named(
    app, tenant, cemetery, plot, funeral_home, clerk
):
    burial = request(tenant, funeral_home, cemetery, plot)
    burials.confirm_burial(tenant, clerk, burial, now=NOW)
    db.session.commit()
    right = db.session.get(GraveRight, burial.right_id)
    assert right.holder.name == "Max Mustermann"
    assert right.end_date >= burial.rest_until


def test_a_cancelled_request_leaves_rights_and_invoices_alone(
    app, tenant, cemetery, plot, funeral_home
):
    from booking.fees.models import Invoice
    from cemetery import rights

    holder = rights.find_or_create_contact(tenant, name="Max")
    right = rights.acquire_right(
        tenant, None, plot, holder, start=date(2020, 1, 1), years=30, bill=False
    )
    db.session.commit()
    burial = request(tenant, funeral_home, cemetery, plot, holder=None)
    burials.cancel_burial(tenant, funeral_home, burial, now=NOW)
    db.session.commit()
    db.session.refresh(right)
    assert right.end_date == date(2050, 1, 1)
    assert db.session.scalar(select(func.count(Invoice.id))) == 0


def test_a_request_does_not_fill_in_a_holders_mail_address(
    app, tenant, cemetery, make_plot, funeral_home
):
    from cemetery import rights

    holder = rights.find_or_create_contact(tenant, name="Josef Lehmann", street="Gartenstr. 38")
    db.session.commit()
    request(
        tenant,
        funeral_home,
        cemetery,
        make_plot(cemetery, "B-09-09"),
        holder={"name": "josef lehmann", "street": "Gartenstr. 38", "email": "x@evil.example"},
    )
    db.session.refresh(holder)
    assert holder.email is None


def test_a_plot_blocked_after_the_request_cannot_be_confirmed(
    app, tenant, cemetery, plot, funeral_home, clerk
):
    from cemetery import register

    burial = request(tenant, funeral_home, cemetery, plot)
    register.block_plot(tenant, clerk, plot, blocked=True, reason="Grabstein kippt")
    db.session.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        burials.confirm_burial(tenant, clerk, burial, now=NOW)
    assert "plot_id" in fields_of(excinfo)


def test_an_extendable_right_is_extended_in_whole_years(
    app, tenant, cemetery, plot, funeral_home, clerk
):
    from cemetery import rights

    holder = rights.find_or_create_contact(tenant, name="Max")
    right = rights.acquire_right(
        tenant, None, plot, holder, start=date(2020, 1, 1), years=30, bill=False
    )
    db.session.commit()
    burial = request(tenant, funeral_home, cemetery, plot, holder=None)
    db.session.refresh(right)
    assert (burial.right_id, right.end_date) == (right.id, date(2050, 1, 1))  # not yet
    burials.confirm_burial(tenant, clerk, burial, now=NOW)
    db.session.commit()
    db.session.refresh(right)
    assert right.end_date == date(2056, 1, 1)  # 2050 + 6 years covers 6 June 2055


# --- appointment rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "fragment"),
    [
        (at(date(2030, 6, 9), "10:00"), "Sonntag"),
        (at(CORPUS_CHRISTI, "10:00"), "Feiertag"),
        (at(THU, "08:30"), "nur 09:00–15:00"),
        (at(THU, "15:00"), "nur 09:00–15:00"),
        (at(SAT, "12:00"), "nur 09:00–12:00"),
        (at(date(2030, 6, 5), "10:00"), "Vorlaufzeit"),
        (at(date(2030, 6, 1), "10:00"), "Vergangenheit"),
    ],
)
def test_appointment_rules(app, tenant, cemetery, plot, funeral_home, start, fragment):
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, plot, start=start)
    assert "start" in fields_of(excinfo)
    assert fragment in str(fields_of(excinfo)["start"][0])
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_clerks_are_bound_by_the_rules_too(app, tenant, cemetery, plot, clerk):
    with pytest.raises(ValidationFailed):
        request(tenant, clerk, cemetery, plot, start=at(date(2030, 6, 4), "10:00"))


def test_an_urn_has_a_shorter_lead_time(app, tenant, cemetery, plot, funeral_home):
    burial = request(
        tenant, funeral_home, cemetery, plot, kind="urn", start=at(date(2030, 6, 5), "10:00")
    )
    assert burial.burial_date == date(2030, 6, 5)


def test_the_lead_time_counts_working_days(app, tenant, make_cemetery, make_plot, funeral_home):
    # Requested on Friday 7 June: Monday 10 June is Whit Monday (a holiday), so
    # three working days are Tue, Wed, Thu → Thursday 13 June at the earliest.
    cemetery = make_cemetery()
    friday = at(FRI, "08:00")
    assert burials.first_allowed_day(tenant, cemetery, "coffin", FRI) == date(2030, 6, 13)
    grave = make_plot(cemetery, "L-1")
    with pytest.raises(ValidationFailed):
        burials.create_burial(
            tenant,
            funeral_home,
            cemetery,
            kind="coffin",
            deceased=DECEASED,
            plot=grave,
            holder=HOLDER,
            start=at(date(2030, 6, 12), "10:00"),
            now=friday,
        )
    burials.create_burial(
        tenant,
        funeral_home,
        cemetery,
        kind="coffin",
        deceased=DECEASED,
        plot=grave,
        holder=HOLDER,
        start=at(date(2030, 6, 13), "10:00"),
        now=friday,
    )


def test_a_saturday_in_its_hours_is_allowed(app, tenant, cemetery, plot, funeral_home):
    burial = request(tenant, funeral_home, cemetery, plot, start=at(SAT, "11:30"))
    assert burial.burial_date == SAT


def test_the_daily_limit(app, tenant, make_cemetery, make_plot, funeral_home):
    cemetery = make_cemetery(burials_per_day=2)
    for n in range(2):
        request(
            tenant, funeral_home, cemetery, make_plot(cemetery, f"D-{n}"), start=at(THU, f"1{n}:00")
        )
    with pytest.raises(ValidationFailed) as excinfo:
        request(tenant, funeral_home, cemetery, make_plot(cemetery, "D-9"), start=at(THU, "13:00"))
    assert "höchstens 2" in str(fields_of(excinfo)["start"][0])
    # Another day is fine; a cancelled burial frees its place in the limit.
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "D-8"), start=at(FRI, "13:00"))
    first = db.session.scalars(select(Burial).where(Burial.burial_date == THU)).first()
    burials.cancel_burial(tenant, funeral_home, first, now=NOW)
    db.session.commit()
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "D-7"), start=at(THU, "13:00"))


def test_a_taken_crew_is_a_booking_conflict(app, tenant, cemetery, make_plot, funeral_home):
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "C-1"), start=at(THU, "10:00"))
    with pytest.raises(BookingConflict):
        request(tenant, funeral_home, cemetery, make_plot(cemetery, "C-2"), start=at(THU, "10:30"))
    db.session.rollback()  # what the request's boundary does
    assert db.session.scalar(select(func.count(Burial.id))) == 1
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_past_burials_from_the_old_register(app, tenant, cemetery, plot, clerk, funeral_home):
    burial = burials.create_burial(
        tenant,
        clerk,
        cemetery,
        kind="urn",
        deceased={"name": "Alt", "died": date(2001, 3, 1)},
        plot=plot,
        holder=HOLDER,
        past=True,
        burial_date=date(2001, 3, 9),
        now=NOW,
    )
    db.session.commit()
    assert (burial.status, burial.start_at, burial.chapel_booking_id, burial.crew_booking_id) == (
        "done",
        None,
        None,
        None,
    )
    assert burial.rest_until == date(2021, 3, 9)
    with pytest.raises(Forbidden):
        burials.create_burial(
            tenant,
            funeral_home,
            cemetery,
            kind="urn",
            deceased={"name": "Alt", "died": date(2001, 3, 1)},
            plot=plot,
            past=True,
            burial_date=date(2001, 3, 9),
            now=NOW,
        )


# --- confirm, propose, accept, cancel -------------------------------------------------------


def outbox(kind: str) -> list[OutboxMessage]:
    return composed_mail(OutboxMessage.key.like(f"{kind}:%"))


def test_a_request_tells_both_sides(app, tenant, cemetery, plot, funeral_home, clerk):
    request(tenant, funeral_home, cemetery, plot)
    to = sorted(m.to_address for m in outbox("burial_requested"))
    assert to == sorted([funeral_home.email, clerk.email])


def test_confirm_bills_and_tells_the_funeral_home(
    app, tenant, cemetery, plot, funeral_home, clerk, admin
):
    fees.set_schedule(tenant, admin, {"burial_cents": {"coffin": 50000}, "chapel_cents": 10000})
    db.session.commit()
    burial = request(tenant, funeral_home, cemetery, plot, ceremony_minutes=30)
    assert burial.invoice_id is None  # a request costs nothing yet
    with pytest.raises(Forbidden):
        burials.confirm_burial(tenant, funeral_home, burial, now=NOW)
    burials.confirm_burial(tenant, clerk, burial, now=NOW)
    db.session.commit()
    assert burial.status == "confirmed"
    assert burial.invoice_id is not None
    from booking.fees.models import Invoice

    invoice = db.session.get(Invoice, burial.invoice_id)
    assert invoice.total_cents == 60000
    assert [m.to_address for m in outbox("burial_confirmed")] == [funeral_home.email]
    # Cancelling cancels the invoice.
    burials.cancel_burial(tenant, clerk, burial, reason="Familie verzichtet", now=NOW)
    db.session.commit()
    db.session.refresh(invoice)
    assert invoice.status == "cancelled"


def test_cancel_frees_chapel_and_crew(app, tenant, cemetery, plot, make_plot, funeral_home):
    burial = request(tenant, funeral_home, cemetery, plot, ceremony_minutes=30)
    burials.cancel_burial(tenant, funeral_home, burial, reason="verlegt", now=NOW)
    db.session.commit()
    assert burial.status == "cancelled"
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.active.is_(True))) == 0
    assert {b.status for b in burials.bookings_of(burial)} == {"cancelled"}
    # The place is free again, and so is the slot.
    again = request(tenant, funeral_home, cemetery, plot, ceremony_minutes=30)
    assert again.place == 1
    # Cancelling twice changes nothing.
    assert burials.cancel_burial(tenant, funeral_home, burial, now=NOW).status == "cancelled"


def test_another_funeral_home_may_not_cancel(app, tenant, cemetery, plot, funeral_home, make_user):
    other = make_user("b2@example.org", tenant=tenant, roles=("funeral_home",))
    burial = request(tenant, funeral_home, cemetery, plot)
    with pytest.raises(Forbidden):
        burials.cancel_burial(tenant, other, burial, now=NOW)


def test_propose_and_accept_moves_the_claims(app, tenant, cemetery, plot, funeral_home, clerk):
    burial = request(tenant, funeral_home, cemetery, plot, ceremony_minutes=30)
    new_start = at(FRI, "13:00")
    burials.propose_time(tenant, clerk, burial, new_start, reason="Halle belegt", now=NOW)
    db.session.commit()
    assert burial.proposed_start_at == new_start
    assert [m.to_address for m in outbox("burial_proposed")] == [funeral_home.email]
    with pytest.raises(Forbidden):
        burials.propose_time(tenant, funeral_home, burial, new_start, now=NOW)
    burials.accept_proposal(tenant, funeral_home, burial, now=NOW)
    db.session.commit()
    assert (burial.status, burial.start_at, burial.burial_date) == ("confirmed", new_start, FRI)
    assert burial.proposed_start_at is None
    assert burial.rest_until == date(2055, 6, 7)
    claims = sorted(
        db.session.scalars(select(Claim).where(Claim.active.is_(True))), key=lambda c: c.start_at
    )
    assert [c.start_at for c in claims] == [at(FRI, "13:00"), at(FRI, "13:30")]
    # The clerks hear that the funeral home accepted.
    assert clerk.email in [m.to_address for m in outbox("burial_confirmed")]


def test_a_proposal_keeps_the_rules_and_the_claims(
    app, tenant, cemetery, make_plot, funeral_home, clerk
):
    burial = request(tenant, funeral_home, cemetery, make_plot(cemetery, "P-1"))
    other = request(
        tenant, funeral_home, cemetery, make_plot(cemetery, "P-2"), start=at(FRI, "10:00")
    )
    with pytest.raises(ValidationFailed):
        burials.propose_time(tenant, clerk, burial, at(date(2030, 6, 9), "10:00"), now=NOW)
    with pytest.raises(BookingConflict):
        burials.propose_time(tenant, clerk, burial, at(FRI, "10:30"), now=NOW)
    # Its own time does not count against itself.
    burials.propose_time(tenant, clerk, burial, at(THU, "10:30"), now=NOW)
    assert other.status == "requested"


def test_accept_without_a_proposal_is_refused(app, tenant, cemetery, plot, funeral_home):
    burial = request(tenant, funeral_home, cemetery, plot)
    with pytest.raises(ValidationFailed):
        burials.accept_proposal(tenant, funeral_home, burial, now=NOW)


def test_status_done_is_derived(app, tenant, cemetery, plot, clerk):
    burial = request(tenant, clerk, cemetery, plot)
    assert burials.status_of(burial, THU) == "confirmed"
    assert burials.status_of(burial, FRI) == "done"
    assert burials.mark_done(tenant, FRI) == 1
    db.session.commit()
    db.session.refresh(burial)
    assert burial.status == "done"


def test_day_sheet(app, tenant, cemetery, make_plot, funeral_home):
    late = request(
        tenant, funeral_home, cemetery, make_plot(cemetery, "S-1"), start=at(THU, "13:00")
    )
    early = request(
        tenant, funeral_home, cemetery, make_plot(cemetery, "S-2"), start=at(THU, "09:00")
    )
    gone = request(
        tenant, funeral_home, cemetery, make_plot(cemetery, "S-3"), start=at(THU, "11:00")
    )
    burials.cancel_burial(tenant, funeral_home, gone, now=NOW)
    assert [b.id for b in burials.day_sheet(tenant, cemetery, THU)] == [early.id, late.id]


# --- the race --------------------------------------------------------------------------------


def test_two_funeral_homes_racing_for_one_chapel_slot(app, tenant, cemetery, make_plot, make_user):
    homes = [
        make_user(f"home{n}@example.org", tenant=tenant, roles=("funeral_home",)) for n in range(2)
    ]
    plots = [make_plot(cemetery, f"X-{n}") for n in range(2)]
    ids = (tenant.id, cemetery.id)
    plot_ids = [p.id for p in plots]
    home_ids = [h.id for h in homes]
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                cemetery_ = db.session.get(Cemetery, ids[1])
                plot_ = db.session.get(Plot, plot_ids[n])
                home = db.session.get(User, home_ids[n])
                _ = (
                    tenant_.timezone,
                    cemetery_.chapel,
                    cemetery_.crew,
                    plot_.grave_type,
                    home.memberships,
                )
                db.session.commit()
                barrier.wait(timeout=60)
                burials.create_burial(
                    tenant_,
                    home,
                    cemetery_,
                    kind="coffin",
                    deceased=DECEASED,
                    plot=plot_,
                    holder=HOLDER,
                    start=at(THU, "10:00"),
                    ceremony_minutes=30,
                    now=NOW,
                )
                db.session.commit()
                outcome = "ok"
            except BookingConflict:
                db.session.rollback()
                outcome = "conflict"
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["conflict", "ok"], results
    assert db.session.scalar(select(func.count(Burial.id))) == 1
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.active.is_(True))) == 2


def test_racing_for_the_last_place_of_the_day(app, tenant, make_cemetery, make_plot, make_user):
    """Different times, so no claim clashes: the day's limit decides."""
    cemetery = make_cemetery(burials_per_day=1)
    homes = [
        make_user(f"h{n}@example.org", tenant=tenant, roles=("funeral_home",)) for n in range(2)
    ]
    plots = [make_plot(cemetery, f"Y-{n}") for n in range(2)]
    ids = (tenant.id, cemetery.id, [p.id for p in plots], [h.id for h in homes])
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                cemetery_ = db.session.get(Cemetery, ids[1])
                plot_ = db.session.get(Plot, ids[2][n])
                home = db.session.get(User, ids[3][n])
                _ = (
                    tenant_.timezone,
                    cemetery_.chapel,
                    cemetery_.crew,
                    plot_.grave_type,
                    home.memberships,
                )
                db.session.commit()
                barrier.wait(timeout=60)
                burials.create_burial(
                    tenant_,
                    home,
                    cemetery_,
                    kind="coffin",
                    deceased=DECEASED,
                    plot=plot_,
                    holder=HOLDER,
                    start=at(THU, f"1{n}:00"),
                    now=NOW,
                )
                db.session.commit()
                outcome = "ok"
            except ValidationFailed:
                db.session.rollback()
                outcome = "full"
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["full", "ok"], results


def test_timestamps(app):
    assert datetime(2030, 6, 3, 6, 0, tzinfo=NOW.tzinfo) == NOW
    assert timedelta(days=3) == THU - TODAY


def test_cancel_tells_the_other_side_and_every_step_is_audited(
    app, tenant, cemetery, make_plot, funeral_home, clerk
):
    by_home = request(tenant, funeral_home, cemetery, make_plot(cemetery, "N-1"))
    burials.cancel_burial(tenant, funeral_home, by_home, reason="Familie", now=NOW)
    db.session.commit()
    # The clerks hear of it; the funeral home gets its receipt.
    assert sorted(m.to_address for m in outbox("burial_cancelled")) == sorted(
        [clerk.email, funeral_home.email]
    )
    by_office = request(tenant, funeral_home, cemetery, make_plot(cemetery, "N-2"))
    burials.propose_time(tenant, clerk, by_office, at(FRI, "11:00"), now=NOW)
    burials.cancel_burial(tenant, clerk, by_office, reason="Halle gesperrt", now=NOW)
    db.session.commit()
    # Cancelled by the office: only the funeral home is told (no third mail to the clerk).
    assert sorted(m.to_address for m in outbox("burial_cancelled")) == sorted(
        [clerk.email, funeral_home.email, funeral_home.email]
    )
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    for action in ("burial.create", "burial.propose", "burial.cancel"):
        assert action in actions
    assert by_office.cancel_reason == "Halle gesperrt"


def test_burial_bookings_stay_out_of_the_approval_queue(app, tenant, cemetery, plot, funeral_home):
    from booking.reservations import queries

    request(tenant, funeral_home, cemetery, plot, ceremony_minutes=30)
    assert queries.approval_queue(tenant) == []


def test_a_saturday_burial_entered_by_a_clerk_is_billed_with_the_surcharge(
    app, tenant, cemetery, plot, clerk, admin
):
    from booking.fees.models import Invoice

    fees.set_schedule(
        tenant, admin, {"burial_cents": {"urn": 30000}, "saturday_surcharge_cents": 15000}
    )
    db.session.commit()
    burial = request(tenant, clerk, cemetery, plot, kind="urn", start=at(SAT, "10:00"))
    invoice = db.session.get(Invoice, burial.invoice_id)
    assert invoice.total_cents == 45000
    assert invoice.subject == "cemetery"
    assert invoice.recipient_name == "Max Mustermann"  # the holder of the new right
