"""List pages read a fixed number of times however many rows they show: the
related rows (hall, booker, organisation, parts, members) are loaded with the
list, not one query per row (N+1). Each test renders a page with one row,
adds rows that bring new halls, people and organisations, and compares."""

from __future__ import annotations

import itertools

import pytest

from booking.accounts import service as accounts
from booking.extensions import db
from booking.resources import service as resources


@pytest.fixture
def queries_for(client, count_queries):
    """The number of SQL statements one GET of ``url`` runs (nothing cached)."""

    def run(url: str) -> int:
        db.session.commit()  # a new transaction and nothing cached, every time
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        return len(statements)

    return run


@pytest.fixture
def person(make_user):
    numbers = itertools.count(1)

    def make(**kwargs):
        n = next(numbers)
        return make_user(f"person{n}@example.org", name=f"Person {n}", **kwargs)

    return make


def club_of(tenant, user, name: str):
    organisation = accounts.create_organisation(tenant, user, name=name)
    db.session.commit()
    return organisation


def test_my_bookings(client, sign_in, tenant, citizen, make_resource, make_booking, queries_for):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}")
        make_booking(citizen, hall, organisation=club_of(tenant, citizen, f"Verein {n}"))

    add(1)
    sign_in(citizen)
    url = f"/{tenant.slug}/bookings/mine"
    once = queries_for(url)
    add(2)
    add(3)
    assert queries_for(url) == once


def test_approval_queue(
    client, sign_in, tenant, clerk, person, make_resource, make_booking, queries_for
):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}", requires_approval=True, request_blocks=False)
        part = make_resource(f"Teil {n}", "room", parent=hall, requires_approval=True)
        booker = person()
        make_booking(booker, hall, 18, 20, organisation=club_of(tenant, booker, f"Verein {n}"))
        make_booking(person(), part, 19, 21)  # a request of its part: competes, claims

    add(1)
    sign_in(clerk)
    url = f"/{tenant.slug}/staff/approvals"
    once = queries_for(url)
    add(2)
    add(3)
    assert queries_for(url) == once


def test_staff_calendar_and_caretaker_day_sheet(
    client, sign_in, tenant, admin, person, make_resource, make_booking, make_user, day, queries_for
):
    caretaker = make_user("hausmeister@example.org", tenant=tenant, roles=("caretaker",))

    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}")
        make_resource(f"Teil {n}", "room", parent=hall)
        resources.add_caretaker(tenant, None, hall, caretaker)
        booker = person()
        make_booking(booker, hall, organisation=club_of(tenant, booker, f"Verein {n}"))

    add(1)
    calendar = f"/{tenant.slug}/staff/calendar?date={day.isoformat()}"
    sheet = f"/{tenant.slug}/caretaker/day?date={day.isoformat()}"
    sign_in(admin)
    calendar_once = queries_for(calendar)
    sign_in(caretaker)
    sheet_once = queries_for(sheet)
    add(2)
    add(3)
    assert queries_for(sheet) == sheet_once
    sign_in(admin)
    assert queries_for(calendar) == calendar_once


def test_catalogue_and_resource_administration(
    client, sign_in, tenant, admin, make_resource, queries_for
):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}", capacity=100)
        for part in ("A", "B"):
            make_resource(f"Teil {n}{part}", "room", parent=hall, capacity=50)

    add(1)
    catalogue = f"/{tenant.slug}/halls/"
    administration = f"/{tenant.slug}/admin/resources/"
    catalogue_once = queries_for(catalogue)
    sign_in(admin)
    administration_once = queries_for(administration)
    add(2)
    add(3)
    assert queries_for(administration) == administration_once
    sign_in(None)
    assert queries_for(catalogue) == catalogue_once


def test_roles_and_organisations(client, sign_in, tenant, admin, person, queries_for):
    def add(n: int) -> None:
        clerk = person(tenant=tenant, roles=("clerk",))
        organisation = club_of(tenant, clerk, f"Verein {n}")
        accounts.add_member(organisation, clerk, person().email)
        db.session.commit()

    add(1)
    sign_in(admin)
    roles = f"/{tenant.slug}/admin/roles"
    organisations = f"/{tenant.slug}/organisations/"
    roles_once = queries_for(roles)
    organisations_once = queries_for(organisations)
    add(2)
    add(3)
    assert queries_for(roles) == roles_once
    assert queries_for(organisations) == organisations_once


def test_bookings_api_list(tenant, clerk, person, make_resource, make_booking, api, count_queries):
    client = api(clerk, tenant)

    def add(n: int) -> None:
        make_booking(person(), make_resource(f"Halle {n}"))

    def statements() -> int:
        db.session.commit()
        with count_queries() as found:
            response = client.get("/bookings")
        assert response.status_code == 200
        return len(found)

    add(1)
    once = statements()
    add(2)
    add(3)
    assert statements() == once
