"""Who may open which booking screen. One row per page, one column per
role: anonymous visitors are sent to the login, signed-in people without
the role get 403, and objects they may not see (someone else's booking,
another municipality's hall or booking) are 404."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.reservations import service as bookings
from booking.resources import service as resources
from tests.reservations.screens.conftest import local

ROLES = ("anonymous", "owner", "citizen", "caretaker", "clerk", "admin", "other_admin")
LOGIN = 302

# page -> (path template, {role: status}); missing roles take "*".
PAGES: dict[str, tuple[str, dict[str, int]]] = {
    "week": ("/{t}/halls/{hall}/week", {"*": 200}),
    "week of another tenant's hall": ("/{t}/halls/{other_hall}/week", {"*": 404}),
    "free search": ("/{t}/halls/free?date={day}&from=10:00&to=12:00", {"*": 200}),
    "booking form": ("/{t}/halls/{hall}/book", {"anonymous": LOGIN, "*": 200}),
    "booking form, another tenant's hall": (
        "/{t}/halls/{other_hall}/book",
        {"anonymous": LOGIN, "*": 404},
    ),
    "my bookings": ("/{t}/bookings/mine", {"anonymous": LOGIN, "*": 200}),
    "booking detail": (
        "/{t}/bookings/{booking}",
        {"anonymous": LOGIN, "citizen": 404, "other_admin": 404, "*": 200},
    ),
    "ics download": (
        "/{t}/bookings/{booking}.ics",
        {"anonymous": LOGIN, "citizen": 404, "other_admin": 404, "*": 200},
    ),
    "cancel booking": (
        "/{t}/bookings/{booking}/cancel",
        {"anonymous": LOGIN, "citizen": 404, "other_admin": 404, "caretaker": 403, "*": 200},
    ),
    "cancel one date": (
        "/{t}/bookings/{booking}/occurrences/{occurrence}/cancel",
        {"anonymous": LOGIN, "citizen": 404, "other_admin": 404, "caretaker": 403, "*": 200},
    ),
    "move one date": (
        "/{t}/bookings/{booking}/occurrences/{occurrence}/move",
        {
            "anonymous": LOGIN,
            "citizen": 404,
            "other_admin": 404,
            "owner": 403,
            "caretaker": 403,
            "*": 200,
        },
    ),
    "another tenant's booking": ("/{t}/bookings/{other_booking}", {"anonymous": LOGIN, "*": 404}),
    "another tenant's booking .ics": (
        "/{t}/bookings/{other_booking}.ics",
        {"anonymous": LOGIN, "*": 404},
    ),
    "approval queue": (
        "/{t}/staff/approvals",
        {"anonymous": LOGIN, "clerk": 200, "admin": 200, "*": 403},
    ),
    "calendar": (
        "/{t}/staff/calendar?view=week&date={day}",
        {"anonymous": LOGIN, "clerk": 200, "admin": 200, "*": 403},
    ),
    "calendar, day": (
        "/{t}/staff/calendar?view=day&date={day}",
        {"anonymous": LOGIN, "clerk": 200, "admin": 200, "*": 403},
    ),
    "caretaker overview": (
        "/{t}/caretaker/",
        {"anonymous": LOGIN, "caretaker": 200, "clerk": 200, "admin": 200, "*": 403},
    ),
    "caretaker day sheet": (
        "/{t}/caretaker/day?date={day}",
        {"anonymous": LOGIN, "caretaker": 200, "clerk": 200, "admin": 200, "*": 403},
    ),
}


@pytest.fixture
def world(
    tenant,
    other_tenant,
    hall,
    booking,
    citizen,
    other_citizen,
    caretaker,
    clerk,
    admin,
    other_admin,
    day,
):
    other_hall = resources.create_resource(other_tenant, None, name="Bürgerhaus", kind="hall")
    db.session.flush()
    other_booking = bookings.create_booking(
        other_tenant, other_admin, other_hall, local(day, 10), local(day, 12), "Andersdorf"
    ).booking
    db.session.commit()
    users = {
        "anonymous": None,
        "owner": citizen,
        "citizen": other_citizen,
        "caretaker": caretaker,
        "clerk": clerk,
        "admin": admin,
        "other_admin": other_admin,
    }
    values = {
        "t": tenant.slug,
        "hall": hall.id,
        "other_hall": other_hall.id,
        "booking": booking.id,
        "occurrence": booking.occurrences[0].id,
        "other_booking": other_booking.id,
        "day": day.isoformat(),
    }
    return users, values


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_table_says(client, sign_in, world, role):
    users, values = world
    sign_in(users[role])
    wrong = []
    for name, (template, expected) in PAGES.items():
        status = expected.get(role, expected["*"])
        path = template.format(**values)
        response = client.get(path)
        if response.status_code != status:
            wrong.append(f"{name}: {path} answered {response.status_code}, expected {status}")
        elif status == LOGIN and "/account/login" not in response.headers["Location"]:
            wrong.append(f"{name}: redirected to {response.headers['Location']}, not the login")
    assert not wrong, "\n".join(wrong)
