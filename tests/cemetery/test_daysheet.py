"""The day sheet (Tageszettel) per cemetery and day: staff and the
caretakers of the cemetery's chapel or crew; printable; access and input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.extensions import db
from booking.resources import service as resources
from cemetery import burials
from tests.cemetery.test_burials import HOLDER
from tests.times import at, workday

DAY = workday(weekday=1, after_days=20)
DIED = date.today() - timedelta(days=1)


@pytest.fixture
def day_burials(tenant, cemetery, make_plot, clerk, funeral_home):
    made = []
    for code, clock, ceremony in (("T-2", "13:00", 0), ("T-1", "10:00", 45)):
        made.append(
            burials.create_burial(
                tenant,
                funeral_home,
                cemetery,
                kind="coffin",
                deceased={"name": f"Verstorben {code}", "died": DIED},
                plot=make_plot(cemetery, code),
                holder=HOLDER,
                start=at(DAY, clock),
                ceremony_minutes=ceremony,
                note=f"Hinweis {code}",
            )
        )
    cancelled = burials.create_burial(
        tenant,
        clerk,
        cemetery,
        kind="urn",
        deceased={"name": "Abgesagt", "died": DIED},
        plot=make_plot(cemetery, "T-3"),
        holder=HOLDER,
        start=at(DAY, "14:00"),
    )
    burials.cancel_burial(tenant, clerk, cancelled)
    db.session.commit()
    return made


def url(tenant, cemetery, day=DAY):
    return f"/{tenant.slug}/burials/day-sheet/{cemetery.id}?day={day.isoformat()}"


def test_staff_see_the_days_burials_in_order(
    app, tenant, cemetery, day_burials, clerk, client, login
):
    login(clerk)
    response = client.get(url(tenant, cemetery))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Verstorben T-1") < html.index("Verstorben T-2")
    assert "Abgesagt" not in html
    assert "10:00–10:45" in html  # the chapel
    assert "10:45–11:45" in html  # the crew after the ceremony
    assert "keine Trauerfeier" in html
    assert "Hinweis T-1" in html and "T-1" in html
    assert 'class="no-print"' in html  # the day's navigation is not printed
    other = client.get(url(tenant, cemetery, DAY + timedelta(days=1))).get_data(as_text=True)
    assert "keine Bestattungen" in other
    assert client.get(f"/{tenant.slug}/burials/day-sheet").status_code == 200


def test_the_caretaker_of_the_crew_sees_it(
    app, tenant, cemetery, day_burials, make_user, client, login
):
    crew_caretaker = make_user("team@example.org", tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, cemetery.crew, crew_caretaker)
    db.session.commit()
    login(crew_caretaker)
    assert client.get(url(tenant, cemetery)).status_code == 200
    assert client.get(f"/{tenant.slug}/burials/day-sheet").status_code == 200


def test_others_may_not(
    app,
    tenant,
    cemetery,
    day_burials,
    make_user,
    make_tenant,
    make_cemetery,
    funeral_home,
    client,
    login,
):
    assert client.get(url(tenant, cemetery)).status_code == 302  # to the login
    hall_caretaker = make_user("haus@example.org", tenant=tenant, roles=("caretaker",))
    login(hall_caretaker)
    assert client.get(url(tenant, cemetery)).status_code == 403
    assert client.get(f"/{tenant.slug}/burials/day-sheet").status_code == 403
    client.post("/account/logout")
    login(funeral_home)
    assert client.get(url(tenant, cemetery)).status_code == 403
    client.post("/account/logout")
    other = make_tenant("anderswo")
    foreign = make_cemetery(of_tenant=other)
    foreign_clerk = make_user("c2@example.org", tenant=other, roles=("clerk",))
    login(foreign_clerk)
    assert client.get(url(other, cemetery)).status_code == 404
    assert client.get(url(other, foreign)).status_code == 200


def test_a_malformed_day_is_400(app, tenant, cemetery, clerk, client, login):
    login(clerk)
    assert (
        client.get(f"/{tenant.slug}/burials/day-sheet/{cemetery.id}?day=morgen").status_code == 400
    )
    assert client.get(f"/{tenant.slug}/burials/day-sheet/{cemetery.id}").status_code == 200
    assert client.get(f"/{tenant.slug}/burials/day-sheet/999999999999").status_code == 404
