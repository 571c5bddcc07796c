"""Reminders before a burial's chapel and crew dates go to the caretakers,
not to the funeral home as if it had booked a hall; their booking page
sends changes to the burial."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations.notifications import send_reminders
from booking.resources.models import ResourceCaretaker
from tests.cemetery.test_burials import NOW, THU, request
from tests.times import at


def test_crew_caretaker_is_reminded_the_funeral_home_is_not(
    app, tenant, cemetery, make_plot, funeral_home, make_user
):
    crew_lead = make_user("team@example.org", tenant=tenant, roles=("caretaker",))
    db.session.add(ResourceCaretaker(resource_id=cemetery.crew_resource_id, user_id=crew_lead.id))
    db.session.commit()
    request(tenant, funeral_home, cemetery, make_plot(cemetery, "B-01-01"), start=at(THU, "10:00"))
    send_reminders(now=NOW + timedelta(days=1))
    db.session.commit()
    reminded = set(
        db.session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.key.startswith("reminder:"))
        )
    )
    assert reminded == {"team@example.org"}


def test_a_burials_booking_page_offers_no_cancel_or_move(
    app, client, login, tenant, clerk, cemetery, make_plot, funeral_home
):
    burial = request(tenant, funeral_home, cemetery, make_plot(cemetery, "B-01-02"))
    login(clerk)
    page = client.get(f"/{tenant.slug}/bookings/{burial.crew_booking_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "gehört zu einer Bestattung" in html
    assert f"/bookings/{burial.crew_booking_id}/cancel" not in html
    assert "Absagen" not in html


def test_the_daily_job_stores_past_confirmed_burials_as_done(
    app, tenant, cemetery, make_plot, funeral_home, clerk
):
    from booking.jobs import registry
    from cemetery import burials

    burial = request(tenant, funeral_home, cemetery, make_plot(cemetery, "B-01-03"))
    waiting = request(
        tenant, funeral_home, cemetery, make_plot(cemetery, "B-01-04"), start=at(THU, "12:00")
    )
    burials.confirm_burial(tenant, clerk, burial, now=NOW)
    db.session.commit()
    job = registry.get("cemetery.burials_done")
    assert job.run(NOW) == {"done": 0}
    assert job.run(NOW + timedelta(days=4)) == {"done": 1}
    db.session.commit()
    db.session.expire_all()
    assert (burial.status, waiting.status) == ("done", "requested")
