"""A date that has begun: citizens are not offered to cancel it (the service
would refuse them); staff still are, until it has ended."""

from datetime import timedelta

from booking.core import utcnow
from booking.extensions import db
from booking.reservations import service as bookings


def test_a_running_date_offers_cancel_to_staff_only(client, sign_in, tenant, citizen, clerk, hall):
    now = utcnow()
    start = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    booking = bookings.create_booking(
        tenant,
        citizen,
        hall,
        start,
        start + timedelta(hours=3),
        "Läuft gerade",
        now=start - timedelta(days=1),
    ).booking
    db.session.commit()
    occurrence = booking.occurrences[0]
    cancel_url = f"/{tenant.slug}/bookings/{booking.id}/occurrences/{occurrence.id}/cancel"
    detail = f"/{tenant.slug}/bookings/{booking.id}"

    sign_in(citizen)
    assert cancel_url not in client.get(detail).get_data(as_text=True)
    sign_in(clerk)
    assert cancel_url in client.get(detail).get_data(as_text=True)
