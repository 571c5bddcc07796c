"""The caretaker on a phone: today, tomorrow, this week and other weeks, and
a day sheet with what the caretaker needs (note, phone, set-up and cleaning,
key handover, guests), as cards on screen and a table with signatures in print."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.reservations import service as bookings
from booking.resources import service as resources
from booking.tenants import localtime
from tests.reservations.screens.conftest import local
from tests.reservations.screens.helpers import text
from tests.reservations.screens.test_staff_screens import today_local


@pytest.fixture
def party(tenant, admin, hall, club):
    """Tomorrow 18–22 in the caretaker's hall, with all a caretaker needs."""
    resources.update_resource(
        tenant,
        None,
        hall,
        buffer_before_min=60,
        buffer_after_min=90,
        key_handover="Schlüssel im Rathaus, Zimmer 3",
    )
    tomorrow = today_local() + timedelta(days=1)
    booking = bookings.create_booking(
        tenant,
        admin,
        hall,
        local(tomorrow, 18),
        local(tomorrow, 22),
        "Sommerfest",
        organisation=club,
        note="40 Stühle, 6 Tische",
        override_reason="Testdaten",
        now=local(today_local(), 0) - timedelta(days=1),
    ).booking
    booking.contact_phone = "0171 2345678"
    booking.guests = 80
    db.session.commit()
    return booking


def test_overview_has_today_tomorrow_week_and_next_week(client, sign_in, tenant, caretaker, party):
    sign_in(caretaker)
    page = text(client.get(f"/{tenant.slug}/caretaker/"))
    assert "Heute," in page and "Morgen," in page
    assert "Sommerfest" in page
    monday = localtime.monday_of(today_local())
    html = client.get(f"/{tenant.slug}/caretaker/").get_data(as_text=True)
    assert f"week={(monday + timedelta(days=7)).isoformat()}" in html
    nxt = text(
        client.get(f"/{tenant.slug}/caretaker/?week={(monday + timedelta(days=7)).isoformat()}")
    )
    assert "Woche vom" in nxt and "Heute," not in nxt


@pytest.mark.parametrize("where", ["/caretaker/", "/caretaker/day?date={d}"])
def test_what_the_caretaker_needs(client, sign_in, tenant, caretaker, party, where):
    sign_in(caretaker)
    d = (today_local() + timedelta(days=1)).isoformat()
    page = text(client.get(f"/{tenant.slug}{where.format(d=d)}"))
    assert "40 Stühle, 6 Tische" in page
    assert "0171 2345678" in page
    assert "Aufbau ab 17:00" in page and "Reinigung bis 23:30" in page
    assert "Schlüssel im Rathaus, Zimmer 3" in page
    assert "80" in page


def test_day_sheet_prints_address_key_and_signature(client, sign_in, tenant, caretaker, party):
    sign_in(caretaker)
    d = (today_local() + timedelta(days=1)).isoformat()
    html = client.get(f"/{tenant.slug}/caretaker/day?date={d}").get_data(as_text=True)
    assert 'class="print-only sheet-table"' in html and "Unterschrift" in html
    assert "Schlüssel" in html and "Adresse" in html
    assert 'class="screen-only"' in html and "duty-card" in html  # cards on screen
    assert "print-hint" in html  # the keyboard hint, hidden on narrow screens by CSS


def test_a_caretaker_of_another_hall_sees_nothing_of_it(
    client, sign_in, tenant, make_user, make_resource, party
):
    other = make_resource("Sporthalle Süd", "sports_hall")
    someone = make_user("hm2@example.org", tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, other, someone)
    db.session.commit()
    sign_in(someone)
    d = (today_local() + timedelta(days=1)).isoformat()
    for url in ("/caretaker/", f"/caretaker/day?date={d}"):
        page = text(client.get(f"/{tenant.slug}{url}"))
        assert "Sommerfest" not in page and "0171 2345678" not in page


def test_no_role_403_other_tenant_404_bad_date_400(
    client, sign_in, tenant, citizen, other_admin, caretaker, party
):
    sign_in(citizen)
    assert client.get(f"/{tenant.slug}/caretaker/").status_code == 403
    assert client.get(f"/{tenant.slug}/caretaker/day").status_code == 403
    sign_in(other_admin)
    response = client.get(f"/{tenant.slug}/caretaker/day")
    assert response.status_code in (403, 404)
    sign_in(caretaker)
    assert client.get(f"/{tenant.slug}/caretaker/day?date=31.12.").status_code == 400
    assert client.get(f"/{tenant.slug}/caretaker/?week=nächste").status_code == 400
