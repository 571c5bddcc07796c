"""List pages read a fixed number of times however many rows they show: the
related rows (hall, booker, organisation, parts, members) are loaded with the
list, not one query per row (N+1). Each test renders its pages with one row,
adds rows that bring new halls, people and organisations, and compares."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from booking.accounts import service as accounts
from booking.extensions import db
from booking.resources import service as resources
from tests.accounts.helpers import add_member


@pytest.fixture
def assert_fixed_queries(client, count_queries):
    """``assert_fixed_queries(add, *urls, get=client.get)``: ``add(1)``, count
    the statements of a GET of each url, ``add(2)``, ``add(3)``, count again:
    the same."""

    def check(add: Callable[[int], None], *urls: str, get=client.get) -> None:
        def statements(url: str) -> int:
            db.session.commit()  # a new transaction and nothing cached, every time
            with count_queries() as found:
                response = get(url)
            assert response.status_code == 200, url
            return len(found)

        add(1)
        once = {url: statements(url) for url in urls}
        add(2)
        add(3)
        assert {url: statements(url) for url in urls} == once

    return check


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


def test_my_bookings(sign_in, tenant, citizen, make_resource, book_hours, assert_fixed_queries):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}")
        book_hours(citizen, hall, organisation=club_of(tenant, citizen, f"Verein {n}"))

    sign_in(citizen)
    assert_fixed_queries(add, f"/{tenant.slug}/bookings/mine")


def test_approval_queue_and_calendar(
    sign_in, tenant, clerk, person, make_resource, book_hours, day, assert_fixed_queries
):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}", requires_approval=True, request_blocks=False)
        part = make_resource(f"Teil {n}", "room", parent=hall, requires_approval=True)
        booker = person()
        book_hours(booker, hall, 18, 20, organisation=club_of(tenant, booker, f"Verein {n}"))
        book_hours(person(), part, 19, 21)  # a request of its part: competes, claims

    sign_in(clerk)
    assert_fixed_queries(
        add,
        f"/{tenant.slug}/staff/approvals",
        f"/{tenant.slug}/staff/calendar?date={day.isoformat()}",
    )


def test_caretaker_day_sheet(
    sign_in, tenant, person, make_resource, book_hours, make_user, day, assert_fixed_queries
):
    caretaker = make_user("hausmeister@example.org", tenant=tenant, roles=("caretaker",))

    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}")
        make_resource(f"Teil {n}", "room", parent=hall)
        resources.add_caretaker(tenant, None, hall, caretaker)
        booker = person()
        book_hours(booker, hall, organisation=club_of(tenant, booker, f"Verein {n}"))

    sign_in(caretaker)
    assert_fixed_queries(add, f"/{tenant.slug}/caretaker/day?date={day.isoformat()}")


def test_catalogue_and_resource_administration(
    sign_in, tenant, admin, make_resource, assert_fixed_queries
):
    def add(n: int) -> None:
        hall = make_resource(f"Halle {n}", capacity=100)
        for part in ("A", "B"):
            make_resource(f"Teil {n}{part}", "room", parent=hall, capacity=50)

    sign_in(admin)
    assert_fixed_queries(add, f"/{tenant.slug}/halls/", f"/{tenant.slug}/admin/resources/")


def test_roles_and_organisations(sign_in, tenant, admin, person, assert_fixed_queries):
    def add(n: int) -> None:
        clerk = person(tenant=tenant, roles=("clerk",))
        organisation = club_of(tenant, clerk, f"Verein {n}")
        add_member(organisation, clerk, person())
        db.session.commit()

    sign_in(admin)
    assert_fixed_queries(add, f"/{tenant.slug}/admin/roles", f"/{tenant.slug}/organisations/")


def test_bookings_api_list(
    tenant, clerk, person, make_resource, book_hours, api, assert_fixed_queries
):
    def add(n: int) -> None:
        book_hours(person(), make_resource(f"Halle {n}"))

    get = api(clerk, tenant).get
    get("/me")  # the token's first use is written (then once a minute): not in the counts
    assert_fixed_queries(add, "/bookings", "/bookings?mine=1", get=get)
