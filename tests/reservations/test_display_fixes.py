"""How dates, fees and closures read on the screens: the caretaker's week
names the weekday once, the booking preview and detail say "kostenlos" the
same way, staff are not told "Sie erhalten keine Rechnung", the free-hall
results and a booking's history stack on a phone (every cell names its
column), and whole-day closures read as dates, not as midnights."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.reservations import service as bookings
from booking.resources import closures
from booking.resources import service as resources
from booking.tenants import localtime
from tests.times import at, workday

NO_INVOICE = "Sie erhalten keine Rechnung"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def cells(page: str, table_class: str = "stack") -> list[str]:
    """The ``<td …>`` opening tags of the first table with ``table_class``."""
    match = re.search(rf'<table class="{table_class}">(.*?)</table>', page, re.S)
    assert match, f'no <table class="{table_class}"> on the page'
    return re.findall(r"<td[^>]*>", match.group(1))


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus", capacity=80, address="Marktplatz 2, 12345 Musterhausen")


@pytest.fixture
def wednesday():
    return workday(2)


@pytest.fixture
def party(tenant, citizen, hall, wednesday):
    """A free booking 18–22 on a Wednesday, by the citizen."""
    booking = bookings.create_booking(
        tenant, citizen, hall, at(wednesday, "18:00"), at(wednesday, "22:00"), "Geburtstag"
    ).booking
    db.session.commit()
    return booking


# --- 1. the caretaker's week: the weekday once ------------------------------------------


def test_caretaker_week_names_the_weekday_once(
    client, login, tenant, make_user, hall, party, wednesday
):
    caretaker = make_user("haus@example.org", tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, hall, caretaker)
    db.session.commit()
    login(caretaker)
    monday = localtime.monday_of(wednesday)
    page = html_of(client.get(f"/{tenant.slug}/caretaker/?week={monday.isoformat()}"))
    date_text = wednesday.strftime("%d.%m.%Y")
    headings = re.findall(r'<article class="card duty-card">\s*<h3>([^<]*)</h3>', page)
    assert headings, "no card in the week"
    assert f"Mi., {date_text}, 18:00–22:00 · Bürgerhaus" in headings
    assert not any("Mi., Mi." in h for h in headings), headings


# --- 2. free-hall results stack on a phone ----------------------------------------------


def test_free_hall_results_are_a_stacked_table_whose_cells_name_their_column(
    client, login, tenant, citizen, hall, wednesday
):
    login(citizen)
    page = html_of(
        client.get(f"/{tenant.slug}/halls/free?date={wednesday.isoformat()}&from=10:00&to=12:00")
    )
    tds = cells(page)
    assert 'data-label="Art"' in tds[0]
    assert 'data-label="Plätze"' in tds[1]
    assert 'data-label="Adresse"' in tds[2]
    assert "Bürgerhaus buchen" in page


# --- 3. the booking detail: history stacks; the fee line speaks to the booker -------------


def test_booker_reads_no_invoice_but_staff_do_not(client, login, tenant, citizen, clerk, party):
    login(citizen)
    assert NO_INVOICE in html_of(client.get(f"/{tenant.slug}/bookings/{party.id}"))
    client.post("/account/logout")
    login(clerk)
    page = html_of(client.get(f"/{tenant.slug}/bookings/{party.id}"))
    assert NO_INVOICE not in page
    assert "<dt>Gebühr</dt><dd>kostenlos</dd>" in page


def test_staff_who_booked_themselves_read_the_booker_wording(
    client, login, tenant, clerk, hall, wednesday
):
    own = bookings.create_booking(
        tenant, clerk, hall, at(wednesday, "10:00"), at(wednesday, "12:00"), "Sitzung"
    ).booking
    db.session.commit()
    login(clerk)
    assert NO_INVOICE in html_of(client.get(f"/{tenant.slug}/bookings/{own.id}"))


def test_history_is_a_stacked_table_whose_cells_name_their_column(
    client, login, tenant, clerk, party
):
    bookings.cancel_booking(tenant, clerk, party, reason="Wasserschaden im Saal")
    db.session.commit()
    login(clerk)
    page = html_of(client.get(f"/{tenant.slug}/bookings/{party.id}"))
    tds = cells(page)
    assert any('data-label="Wer"' in td for td in tds)
    assert any('data-label="Was"' in td for td in tds)
    assert any('data-label="Begründung"' in td for td in tds)
    assert "Wasserschaden im Saal" in page


# --- 4. the preview names the fee once, as the detail page does --------------------------


def test_preview_fee_reads_kostenlos_without_repeating_the_label(
    client, login, tenant, citizen, hall, wednesday
):
    login(citizen)
    page = html_of(
        client.post(
            f"/{tenant.slug}/halls/{hall.id}/book",
            data={
                "title": "Sommerfest",
                "date": wednesday.isoformat(),
                "start_time": "18:00",
                "end_time": "22:00",
                "organisation": "",
                "interval": "1",
                "on_conflict": "reject",
                "action": "preview",
            },
        )
    )
    assert "Buchung prüfen" in page
    assert '<dt>Gebühr</dt><dd id="fee">kostenlos</dd>' in page
    assert "Gebühr: " not in page


# --- 5. closures: whole days as dates -------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, "{first} (ganztägig)"), (3, "{interval} (ganztägig)")],
)
def test_whole_day_closures_read_as_dates(
    client, login, tenant, clerk, hall, wednesday, days, expected
):
    start, end = localtime.day_bounds(tenant, wednesday, days)
    closures.create_closure(tenant, None, start=start, end=end, reason="Wartung", resource=hall)
    db.session.commit()
    login(clerk)
    page = html_of(client.get(f"/{tenant.slug}/admin/resources/closures"))
    last = wednesday + timedelta(days=days - 1)
    first = wednesday.strftime("%d.%m.%Y")
    if wednesday.year == last.year and wednesday.month == last.month:
        interval = f"{wednesday:%d}.–{last:%d.%m.%Y}"
    elif wednesday.year == last.year:
        interval = f"{wednesday:%d.%m}.–{last:%d.%m.%Y}"
    else:
        interval = f"{first} – {last:%d.%m.%Y}"
    assert (
        f'<td data-label="Zeitraum">{expected.format(first=first, interval=interval)}</td>' in page
    )
    assert "00:00" not in page.split('<table class="stack">', 1)[1].split("</table>", 1)[0]


def test_timed_closures_keep_their_clock_times(client, login, tenant, clerk, hall, wednesday):
    closures.create_closure(
        tenant,
        None,
        start=at(wednesday, "08:00"),
        end=at(wednesday + timedelta(days=1), "00:00") + timedelta(hours=12),
        reason="Wahl",
        resource=hall,
    )
    db.session.commit()
    login(clerk)
    page = html_of(client.get(f"/{tenant.slug}/admin/resources/closures"))
    nxt = wednesday + timedelta(days=1)
    assert (
        f'<td data-label="Zeitraum">'
        f"{wednesday:%d.%m.%y}, 08:00 – {nxt:%d.%m.%y}, 12:00</td>" in page
    )
    assert "ganztägig" not in page.split('<table class="stack">', 1)[1]


def test_a_closure_from_midnight_to_noon_is_not_whole_days(
    client, login, tenant, clerk, hall, wednesday
):
    closures.create_closure(
        tenant,
        None,
        start=at(wednesday, "00:00"),
        end=at(wednesday, "12:00"),
        reason="Wahl",
        resource=hall,
    )
    db.session.commit()
    login(clerk)
    page = html_of(client.get(f"/{tenant.slug}/admin/resources/closures"))
    assert (
        f'<td data-label="Zeitraum">'
        f"{wednesday:%d.%m.%y}, 00:00 – {wednesday:%d.%m.%y}, 12:00</td>" in page
    )
