"""Clerks read audit entries as words, not codes: every action the services
record has a label, on the audit page and in a booking's history."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking.audit.labels import ACTION_LABELS, OBJECT_LABELS
from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.reservations import service as bookings
from booking.resources import closures

START = datetime(2030, 3, 5, 17, tzinfo=UTC)  # a Tuesday, far enough ahead


def test_every_recorded_action_and_object_has_a_label(
    client, login, tenant, admin, clerk, citizen, make_resource
):
    hall = make_resource("Bürgerhaus", requires_approval=True)
    closures.create_closure(
        tenant,
        clerk,
        resource=hall,
        start=START + timedelta(days=60),
        end=START + timedelta(days=61),
        reason="Renovierung",
    )
    series = bookings.create_booking(
        tenant,
        citizen,
        hall,
        START,
        START + timedelta(hours=2),
        "Chorprobe",
        recurrence={"freq": "weekly", "count": 4},
    ).booking
    bookings.approve_booking(tenant, clerk, series)
    first, second = series.occurrences[:2]
    bookings.move_occurrence(
        tenant, clerk, first, first.start_at + timedelta(hours=1), first.end_at + timedelta(hours=1)
    )
    bookings.cancel_series_from(tenant, clerk, second, reason="Chor pausiert")
    db.session.commit()

    recorded = db.session.execute(select(AuditEntry.action, AuditEntry.object_type)).all()
    assert {"booking.approve", "booking.cancel_from", "occurrence.move", "closure.create"} <= {
        action for action, _ in recorded
    }
    assert all(action in ACTION_LABELS for action, _ in recorded)
    assert all(kind in OBJECT_LABELS for _, kind in recorded)

    login(admin)
    audit_page = client.get(f"/{tenant.slug}/admin/audit").get_data(as_text=True)
    detail = client.get(f"/{tenant.slug}/bookings/{series.id}").get_data(as_text=True)
    for page in (audit_page, detail):
        assert "booking.cancel_from" not in page
        assert "Restliche Termine storniert" in page
    assert "Sperrzeit eingetragen" in audit_page
