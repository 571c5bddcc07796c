"""Deciding a request: a refusal asks for a reason and a confirmation; a
series is approved or refused date by date as well as as a whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import ValidationFailed
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations import decisions
from booking.reservations import service as bookings
from booking.reservations.models import Claim
from booking.resources import service as resources
from tests.reservations.screens.conftest import local
from tests.reservations.screens.helpers import text


@pytest.fixture
def series(book_hours, citizen, sports_hall):
    """A weekly request of three dates (it blocks: its dates claim the hall)."""
    return book_hours(citizen, sports_hall, recurrence={"freq": "weekly", "count": 3})


def _url(tenant, booking):
    return f"/{tenant.slug}/staff/approvals/{booking.id}"


def _active_claims(occurrence):
    return db.session.scalars(
        select(Claim).where(Claim.occurrence_id == occurrence.id, Claim.active.is_(True))
    ).all()


def test_queue_offers_per_date_choice_for_a_series(client, sign_in, tenant, series, clerk):
    sign_in(clerk)
    page = client.get(f"/{tenant.slug}/staff/approvals").get_data(as_text=True)
    for occ in series.active_occurrences:
        assert f'name="b{series.id}-reject" value="{occ.id}"' in page
    assert 'value="partial"' in page


def test_rejecting_asks_for_confirmation_first(client, sign_in, tenant, series, clerk):
    sign_in(clerk)
    response = client.post(
        _url(tenant, series),
        data={"decision": "reject", f"b{series.id}-reason": "Schulfest"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "Wirklich ablehnen?" in page and "Ja, ablehnen" in page
    db.session.refresh(series)
    assert series.status == "requested"
    response = client.post(
        _url(tenant, series),
        data={
            "decision": "reject",
            f"b{series.id}-reason": "Schulfest",
            f"b{series.id}-confirmed": "1",
        },
    )
    assert response.status_code == 302
    db.session.refresh(series)
    assert series.status == "rejected"


@pytest.mark.parametrize("confirmed", ["", "1"])
@pytest.mark.parametrize("decision", ["reject", "partial"])
def test_rejecting_without_a_reason_changes_nothing(
    client, sign_in, tenant, series, clerk, decision, confirmed
):
    sign_in(clerk)
    first = series.active_occurrences[0]
    response = client.post(
        _url(tenant, series),
        data={
            "decision": decision,
            f"b{series.id}-reason": "  ",
            f"b{series.id}-confirmed": confirmed,
            f"b{series.id}-reject": str(first.id),
        },
    )
    assert response.status_code == 422
    assert "Begründung" in text(response)
    db.session.refresh(series)
    assert series.status == "requested"
    assert all(o.cancelled_at is None and o.rejected_at is None for o in series.occurrences)


def test_per_date_rejection_frees_those_dates_and_confirms_the_rest(
    client, sign_in, tenant, series, clerk, other_citizen, sports_hall, day
):
    first, second, third = sorted(series.active_occurrences, key=lambda o: o.start_at)
    sign_in(clerk)
    step = client.post(
        _url(tenant, series),
        data={
            "decision": "partial",
            f"b{series.id}-reason": "Kreismeisterschaft",
            f"b{series.id}-reject": str(second.id),
        },
    )
    assert step.status_code == 200
    assert "Wirklich ablehnen?" in text(step)
    response = client.post(
        _url(tenant, series),
        data={
            "decision": "partial",
            f"b{series.id}-reason": "Kreismeisterschaft",
            f"b{series.id}-reject": str(second.id),
            f"b{series.id}-confirmed": "1",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert series.status == "confirmed"
    assert second.status == "rejected" and second.cancel_reason == "Kreismeisterschaft"
    assert second.sequence >= 1
    assert first.status == third.status == "confirmed"
    assert not _active_claims(second)
    assert _active_claims(first) and _active_claims(third)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "occurrence.reject")
    ).one()
    assert entry.before["status"] == "requested" and entry.after["rejected"] == [second.id]
    assert entry.reason == "Kreismeisterschaft"
    keys = [m.key for m in db.session.scalars(select(OutboxMessage))]
    assert any(k.startswith(f"booking.cancelled:{series.id}:{second.id}") for k in keys)
    assert any(k.startswith(f"booking.confirmed:{series.id}") for k in keys)

    # The refused date is free for someone else.
    resources.update_resource(tenant, None, sports_hall, requires_approval=False)
    db.session.commit()
    other = bookings.create_booking(
        tenant, other_citizen, sports_hall, second.start_at, second.end_at, "Andere"
    ).booking
    db.session.commit()
    assert other.status == "confirmed"


def test_service_refuses_unknown_dates_and_missing_reason(
    tenant, series, clerk, other_citizen, sports_hall
):
    stranger = bookings.create_booking(
        tenant,
        other_citizen,
        sports_hall,
        local(series.occurrences[0].start_at.date(), 8),
        local(series.occurrences[0].start_at.date(), 9),
        "Fremd",
    ).booking
    db.session.flush()
    with pytest.raises(ValidationFailed):
        decisions.decide_dates(tenant, clerk, series, [stranger.occurrences[0].id], reason="Nein")
    with pytest.raises(ValidationFailed):
        decisions.decide_dates(tenant, clerk, series, [series.occurrences[0].id], reason=None)
    assert series.status == "requested"
    assert all(o.rejected_at is None for o in series.occurrences)


def test_rejecting_every_date_rejects_the_booking(tenant, series, clerk):
    ids = [o.id for o in series.active_occurrences]
    decisions.decide_dates(tenant, clerk, series, ids, reason="Belegt")
    assert series.status == "rejected"


@pytest.mark.parametrize("who,status", [("citizen", 403), ("other_admin", 403)])
def test_only_staff_of_the_tenant_decide_dates(
    client, sign_in, tenant, series, request, who, status
):
    sign_in(request.getfixturevalue(who))
    response = client.post(
        _url(tenant, series),
        data={
            "decision": "partial",
            f"b{series.id}-reason": "x",
            f"b{series.id}-reject": str(series.occurrences[0].id),
            f"b{series.id}-confirmed": "1",
        },
    )
    assert response.status_code == status
    db.session.refresh(series)
    assert series.status == "requested"


def test_a_series_of_another_tenant_is_404(
    client, sign_in, tenant, other_tenant, other_admin, clerk, day
):
    hall = resources.create_resource(
        other_tenant, None, name="Andere Halle", kind="hall", requires_approval=True
    )
    db.session.flush()
    other = bookings.create_booking(
        other_tenant,
        other_admin,
        hall,
        local(day, 10),
        local(day, 12),
        "Fremd",
        recurrence={"freq": "weekly", "count": 2},
    ).booking
    db.session.commit()
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{other.id}",
        data={
            "decision": "partial",
            f"b{other.id}-reason": "x",
            f"b{other.id}-reject": str(other.occurrences[0].id),
            f"b{other.id}-confirmed": "1",
        },
    )
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.status == "requested"


def test_a_malformed_date_choice_is_400(client, sign_in, tenant, series, clerk):
    sign_in(clerk)
    response = client.post(
        _url(tenant, series),
        data={
            "decision": "partial",
            f"b{series.id}-reason": "x",
            f"b{series.id}-reject": "abc",
            f"b{series.id}-confirmed": "1",
        },
    )
    assert response.status_code == 400
    db.session.refresh(series)
    assert series.status == "requested"
