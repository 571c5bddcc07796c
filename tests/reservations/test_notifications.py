"""What bookings tell people: reminders, the clerks' digest, and the mails
of each step — never a second copy, whoever runs the jobs how often."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from booking.core import utcnow
from booking.extensions import db
from booking.notifications import delivery
from booking.notifications.models import OutboxMessage
from booking.reservations import engine, notifications
from booking.reservations import service as bookings
from booking.resources import service as resources
from tests.conftest import make_app
from tests.outbox import composed_mail


def mails(kind_prefix: str = "") -> list[OutboxMessage]:
    return composed_mail(OutboxMessage.key.like(f"{kind_prefix}%"))


@pytest.fixture
def caretaker(make_user, tenant):
    return make_user("hausmeister@example.org", tenant=tenant, roles=["caretaker"], name="Hans")


@pytest.fixture
def hall_with_caretaker(make_resource, caretaker, tenant):
    hall = make_resource(
        "Dorfgemeinschaftshaus",
        address="Lindenstraße 1",
        key_handover="Schlüssel bei Familie Weber, Lindenstraße 3",
    )
    part = make_resource("Saal A", "room", parent=hall)
    resources.add_caretaker(tenant, None, hall, caretaker)
    db.session.commit()
    return hall, part


def soon(hours: float) -> tuple:
    start = utcnow().replace(microsecond=0) + timedelta(hours=hours)
    return start, start + timedelta(hours=2)


# --- reminders ---------------------------------------------------------------------------


def test_a_confirmed_date_within_the_reminder_days_reminds_applicant_and_caretaker(
    app, tenant, citizen, caretaker, hall_with_caretaker, make_booking
):
    _hall, part = hall_with_caretaker
    booking = make_booking(part, *soon(48), title="Probe Chor")
    make_booking(part, *soon(24 * 5), title="Später")  # beyond the 3 days
    assert notifications.send_reminders() == {"queued": 2}
    sent = mails("reminder:")
    assert sorted(m.to_address for m in sent) == sorted([citizen.email, caretaker.email])
    by_address = {m.to_address: m for m in sent}
    assert "Probe Chor" in by_address[citizen.email].subject
    assert "Lindenstraße 1" in by_address[citizen.email].body_text
    assert f"/bookings/{booking.id}" in by_address[citizen.email].body_text
    assert "/caretaker/" in by_address[caretaker.email].body_text
    for message in sent:  # the hall's note reaches the part's reminders
        assert "Schlüsselübergabe: Schlüssel bei Familie Weber" in message.body_text
    # A second run, or a tenth, sends nothing more.
    for _n in range(3):
        assert notifications.send_reminders() == {"queued": 0}


def test_requests_cancelled_dates_and_other_tenants_get_no_reminder(
    app, tenant, citizen, make_resource, make_booking, make_tenant, make_user
):
    asked = make_resource("Sporthalle", requires_approval=True)
    make_booking(asked, *soon(30), title="Angefragt")
    plain = make_resource("Raum")
    cancelled = make_booking(plain, *soon(40), title="Abgesagt")
    bookings.cancel_booking(tenant, citizen, cancelled)
    db.session.commit()
    assert notifications.send_reminders() == {"queued": 0}


def test_a_moved_date_is_reminded_again_and_the_setting_counts(
    app, tenant, citizen, make_resource, make_booking, clerk
):
    hall = make_resource()
    booking = make_booking(hall, *soon(60))
    tenant.reminder_days = 1
    db.session.commit()
    assert notifications.send_reminders() == {"queued": 0}  # 60 h > 1 day
    start, end = soon(20)
    bookings.move_occurrence(tenant, clerk, booking.occurrences[0], start, end)
    db.session.commit()
    assert notifications.send_reminders() == {"queued": 1}
    assert notifications.send_reminders() == {"queued": 0}


def test_a_series_is_reminded_date_by_date(app, tenant, citizen, make_resource, make_booking):
    # Its dates are weeks from today, whenever the suite runs: no holiday may refuse one.
    hall = make_resource(observe_holidays=False)
    start, end = soon(12)
    make_booking(hall, start, end, recurrence={"freq": "weekly", "count": 4})
    tenant.reminder_days = 8  # the first two dates
    db.session.commit()
    assert notifications.send_reminders() == {"queued": 2}
    keys = [m.key.split(":")[1] for m in mails("reminder:")]
    assert len(set(keys)) == 2


# --- a booking's first mail ---------------------------------------------------------------


def test_a_new_booking_is_mailed_by_the_next_delivery_run_once(
    app, tenant, citizen, make_resource, make_booking
):
    """The request writes no mail; mail.deliver queues the confirmation from
    the booking, once however often it runs."""
    booking = make_booking(make_resource(), *soon(30))
    assert booking.first_mail_due
    assert db.session.query(OutboxMessage).count() == 0
    assert [m.subject for m in mails()] == ["Bestätigt: Probe"]
    assert not db.session.get(type(booking), booking.id).first_mail_due
    mails()
    delivery.deliver(utcnow(), {**app.config, "MAIL_SERVER": ""})
    assert len(mails()) == 1


def test_queueing_first_mails_reads_no_row_per_booking(
    app, tenant, citizen, make_resource, make_booking, count_queries
):
    """Each mail costs its own insert; the bookings' people and halls are
    read together, not one query per booking."""

    def statements_for(how_many: int) -> int:
        for n in range(how_many):
            make_booking(make_resource(), *soon(30 + 3 * n))
        db.session.commit()  # everything expired, as in the job's own session
        with count_queries() as statements:
            notifications.queue_first_mails(utcnow())
        return len(statements)

    few, many = statements_for(2), statements_for(8)
    assert many - few <= 8 - 2  # one insert per mail more, nothing else


def test_only_a_booking_made_by_create_booking_owes_a_first_mail(
    app, tenant, citizen, make_resource
):
    """A burial's chapel date is written by the engine directly: no hall
    booking mail for it (the cemetery mails its own)."""
    chapel = engine.insert_booking(
        make_resource(),
        now=utcnow(),
        user_id=citizen.id,
        title="Trauerfeier",
        status="confirmed",
        origin="burial",
    )
    db.session.commit()
    assert not chapel.first_mail_due
    assert mails() == []


def test_what_a_booking_became_before_the_run_decides_its_first_mail(
    app, tenant, citizen, clerk, make_resource, make_booking
):
    hall = make_resource(requires_approval=True)
    approved = make_booking(hall, *soon(30), title="Angenommen")
    bookings.approve_booking(tenant, clerk, approved)
    cancelled = make_booking(hall, *soon(60), title="Zurückgezogen")
    bookings.cancel_booking(tenant, citizen, cancelled)
    held = make_booking(make_resource(), *soon(90), title="Bezahlt")
    held.status = "held"  # waiting for its online payment
    db.session.commit()
    assert sorted(m.subject for m in mails()) == [
        "Bestätigt: Angenommen",
        "Storniert: Zurückgezogen",
    ]
    assert held.first_mail_due  # not yet: the payment decides
    held.status = "confirmed"
    db.session.commit()
    assert [m.subject for m in mails("booking.confirmed") if "Bezahlt" in m.subject] == [
        "Bestätigt: Bezahlt"
    ]
    assert not held.first_mail_due


def test_a_first_mail_that_cannot_be_queued_holds_up_nobody_elses(
    app, tenant, citizen, make_resource, make_booking, monkeypatch, caplog
):
    """A programming error queueing one booking's mail is logged with the
    booking, and the run goes on: the other bookings get theirs, and the
    broken one is not tried again every run."""
    broken = make_booking(make_resource(), *soon(30), title="Kaputt")
    fine = make_booking(make_resource(), *soon(60), title="Heil")
    created = notifications.booking_created

    def booking_created(tenant, booking):
        if booking.id == broken.id:
            raise TypeError("a context value that cannot be stored")
        created(tenant, booking)

    monkeypatch.setattr(notifications, "booking_created", booking_created)
    assert [m.subject for m in mails()] == ["Bestätigt: Heil"]
    assert f"the first mail of booking {broken.id} could not be queued" in caplog.text
    assert not broken.first_mail_due and not fine.first_mail_due
    assert len(mails()) == 1  # the next run does not try it again


def test_the_outbox_counts_the_first_mails_the_next_run_will_queue(
    app, client, login, tenant, citizen, make_user, make_tenant, make_resource, make_booking
):
    """Until mail.deliver runs, a new booking's mail is in no outbox row: the
    admins see how many wait, of their municipality only."""
    make_booking(make_resource(), *soon(30))
    make_booking(make_resource(), *soon(60))
    there = make_tenant("dort")
    bookings.create_booking(
        there, citizen, make_resource(of_tenant=there), *soon(30), "Fremd", now=utcnow()
    )
    db.session.commit()
    login(make_user(tenant=tenant, roles=["admin"]))
    page = client.get(f"/{tenant.slug}/admin/outbox").get_data(as_text=True)
    assert "2 neue Buchungen warten auf ihre Eingangs- bzw. Buchungsbestätigung" in page
    mails()  # the run
    page = client.get(f"/{tenant.slug}/admin/outbox").get_data(as_text=True)
    assert "warten auf ihre" not in page and "Bestätigt: Probe" in page


def test_a_crash_between_queueing_and_delivery_sends_no_second_copy(
    app, tenant, citizen, make_resource, make_booking, mail_config, smtp_server
):
    recorder, _port = smtp_server
    hall = make_resource()
    make_booking(hall, *soon(30))
    notifications.send_reminders()
    db.session.commit()  # queued … and the process dies before delivering
    notifications.send_reminders()  # the restarted scheduler runs the job again
    db.session.commit()
    delivery.deliver(utcnow(), mail_config)
    delivery.deliver(utcnow(), mail_config)
    reminders = [m for m in recorder.received if m["Subject"].startswith("Erinnerung")]
    assert len(reminders) == 1


@pytest.mark.postgres_only
def test_two_schedulers_at_once_queue_one_copy(app, tenant, citizen, make_resource, make_booking):
    hall = make_resource()
    for hours in (20, 30, 40):
        make_booking(hall, *soon(hours))
    db.session.commit()
    other = make_app(app.config["DATABASE_URL"])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        with other.app_context():
            try:
                barrier.wait()
                notifications.send_reminders()
                db.session.commit()
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with other.app_context():
        db.engine.dispose()
    assert errors == []
    assert len(mails("reminder:")) == 3


# --- the clerks' digest ---------------------------------------------------------------------


def test_new_requests_reach_the_clerks_as_one_digest(
    app, tenant, citizen, clerk, admin, make_resource, make_booking, make_user, make_tenant
):
    hall = make_resource("Sporthalle", requires_approval=True)
    make_booking(hall, *soon(100), title="Turnier")
    make_booking(hall, *soon(200), title="Training")
    elsewhere = make_tenant("nachbarort")
    make_user("fremd@example.org", tenant=elsewhere, roles=["clerk"])
    assert notifications.send_staff_digest() == {"queued": 2}  # the clerk and the admin
    digest = {m.to_address: m for m in mails("digest:")}
    assert set(digest) == {clerk.email, admin.email}
    assert "2 neue Anfragen" in digest[clerk.email].subject
    body = digest[clerk.email].body_text
    assert "Turnier" in body and "Training" in body and "/staff/approvals" in body
    assert notifications.send_staff_digest() == {"queued": 0}
    make_booking(hall, *soon(300), title="Fest")
    assert notifications.send_staff_digest() == {"queued": 2}
    newest = mails("digest:")[-1]
    assert "Fest" in newest.body_text and "Turnier" not in newest.body_text


# --- each step of a booking ------------------------------------------------------------------


def test_the_mails_of_a_booking_s_steps(app, tenant, citizen, clerk, make_resource, make_booking):
    hall = make_resource("Bürgerhaus", requires_approval=True)
    booking = make_booking(hall, *soon(100), title="Hochzeit")
    notifications.booking_created(tenant, booking)
    bookings.approve_booking(tenant, clerk, booking, reason="Schlüssel beim Hausmeister")
    notifications.booking_confirmed(tenant, booking, "Schlüssel beim Hausmeister")
    notifications.dates_cancelled(
        tenant, booking, booking.occurrences, by_staff=True, reason="Wasserschaden"
    )
    db.session.commit()
    requested, confirmed, cancelled = mails("booking.")
    assert "Ihre Anfrage" in requested.subject and requested.attachment_data is None
    assert confirmed.subject == "Bestätigt: Hochzeit"
    assert "Schlüssel beim Hausmeister" in confirmed.body_text
    assert confirmed.attachment_name.endswith(".ics")
    assert b"BEGIN:VEVENT" in confirmed.attachment_data
    assert "Die Verwaltung hat" in cancelled.body_text and "Wasserschaden" in cancelled.body_text
    assert {m.to_address for m in (requested, confirmed, cancelled)} == {citizen.email}


def test_an_anonymised_booking_mails_nobody(app, tenant, citizen, make_resource, make_booking):
    booking = make_booking(make_resource(), *soon(100))
    queued = len(mails())
    booking.user_id = None
    db.session.commit()
    db.session.expire_all()
    notifications.date_moved(
        tenant, booking, booking.occurrences[0], booking.occurrences[0].start_at, by_staff=True
    )
    assert len(mails()) == queued


def test_the_services_tell_the_applicant_of_every_step(
    app, tenant, citizen, clerk, make_resource, make_booking
):
    hall = make_resource("Bürgerhaus", requires_approval=True)
    booking = make_booking(hall, *soon(100), title="Taufe")
    mails()  # mail.deliver runs (and queues the first mail) before the clerk decides
    bookings.approve_booking(tenant, clerk, booking, reason="Bitte Stühle stapeln")
    start, end = soon(130)
    bookings.move_occurrence(tenant, clerk, booking.occurrences[0], start, end, reason="Umbau")
    bookings.cancel_booking(tenant, citizen, booking)
    db.session.commit()
    subjects = [m.subject for m in mails() if m.to_address == citizen.email]
    assert subjects == [
        "Ihre Anfrage: Taufe",
        "Bestätigt: Taufe",
        "Termin verlegt: Taufe",
        "Storniert: Taufe",
    ]
    moved, cancelled = mails("occurrence.moved")[0], mails("booking.cancelled")[0]
    assert "Die Verwaltung hat einen Termin" in moved.body_text and "Umbau" in moved.body_text
    assert "Sie haben diese Termine" in cancelled.body_text


def test_a_rejection_carries_the_reason(app, tenant, citizen, clerk, make_resource, make_booking):
    booking = make_booking(make_resource(requires_approval=True), *soon(100), title="Party")
    bookings.reject_booking(tenant, clerk, booking, reason="Ruhezeiten")
    db.session.commit()
    (rejected,) = mails("booking.rejected")
    assert rejected.subject == "Abgelehnt: Party" and "Ruhezeiten" in rejected.body_text
