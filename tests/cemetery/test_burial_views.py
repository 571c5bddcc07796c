"""The burial pages: the funeral home's request (free times by GET, booking
by POST), own list, detail, accept, cancel; the clerk's queue, confirm and
proposal; access (login, 403, 404 across tenants) and bad input (422/400)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.notifications.models import OutboxMessage
from cemetery import burials, slots
from cemetery.models import Burial
from tests.cemetery.test_burials import HOLDER
from tests.times import BERLIN, at, workday

DAY = workday(weekday=2, after_days=30)  # a Wednesday well past the lead time
DIED = date.today() - timedelta(days=2)


@pytest.fixture
def plot(cemetery, make_plot):
    return make_plot(cemetery, "W-01", "wahlgrab")


def form_data(cemetery, plot, **extra):
    return {
        "cemetery": str(cemetery.id),
        "kind": "coffin",
        "deceased_name": "Erika Mustermann",
        "born": "01.02.1940",
        "died": DIED.strftime("%d.%m.%Y"),
        "plot": str(plot.id),
        "holder_name": HOLDER["name"],
        "holder_street": HOLDER["street"],
        "holder_postcode": HOLDER["postcode"],
        "holder_city": HOLDER["city"],
        "ceremony": "y",
        "ceremony_minutes": "30",
        "public_listing": "y",
        "start": at(DAY, "10:00").isoformat(),
        **extra,
    }


def make_burial(tenant, actor, cemetery, plot, clock="10:00"):
    burial = burials.create_burial(
        tenant,
        actor,
        cemetery,
        kind="coffin",
        deceased={"name": "Erika Mustermann", "died": DIED},
        plot=plot,
        holder=HOLDER,
        start=at(DAY, clock),
    )
    db.session.commit()
    return burial


def test_free_times_without_a_first_day_as_a_browser_sends_them(
    app, tenant, cemetery, plot, funeral_home, client, login
):
    """A browser sends the empty date input along (``from_day=``): not an error."""
    login(funeral_home)
    args = {k: v for k, v in form_data(cemetery, plot).items() if k != "start"}
    page = client.get(
        f"/{tenant.slug}/burials/new", query_string={**args, "action": "slots", "from_day": ""}
    )
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert 'type="radio"' in page.get_data(as_text=True)


def test_the_request_in_two_steps(app, tenant, cemetery, plot, funeral_home, clerk, client, login):
    login(funeral_home)
    base = f"/{tenant.slug}/burials"
    page = client.get(f"{base}/new")
    assert page.status_code == 200
    assert "Freie Zeiten anzeigen" in page.get_data(as_text=True)
    args = {k: v for k, v in form_data(cemetery, plot).items() if k != "start"}
    step1 = client.get(
        f"{base}/new", query_string={**args, "action": "slots", "from_day": DAY.isoformat()}
    )
    assert step1.status_code == 200
    html = step1.get_data(as_text=True)
    assert 'type="radio"' in html
    assert at(DAY, "10:00").isoformat() in html
    step2 = client.post(f"{base}/new", data=form_data(cemetery, plot))
    assert step2.status_code == 302, step2.get_data(as_text=True)[:3000]
    burial = db.session.scalars(select(Burial)).one()
    assert (burial.status, burial.public_listing, burial.ceremony_minutes) == (
        "requested",
        True,
        30,
    )
    assert step2.headers["Location"].endswith(f"{base}/{burial.id}")
    detail = client.get(f"{base}/{burial.id}").get_data(as_text=True)
    assert "angefragt" in detail
    mine = client.get(f"{base}/").get_data(as_text=True)
    assert "Erika Mustermann" in mine and "angefragt" in mine
    keys = [m.key for m in db.session.scalars(select(OutboxMessage))]
    assert any(k.startswith("burial_requested:") for k in keys)


def test_a_taken_slot_is_409_with_fresh_times(
    app, tenant, cemetery, plot, make_plot, funeral_home, client, login
):
    make_burial(tenant, funeral_home, cemetery, make_plot(cemetery, "W-02"))
    login(funeral_home)
    response = client.post(f"/{tenant.slug}/burials/new", data=form_data(cemetery, plot))
    assert response.status_code == 409
    assert "inzwischen vergeben" in response.get_data(as_text=True)
    assert db.session.query(Burial).count() == 1


def test_bad_input_is_422(app, tenant, cemetery, plot, funeral_home, client, login):
    login(funeral_home)
    base = f"/{tenant.slug}/burials"
    bad = client.post(f"{base}/new", data=form_data(cemetery, plot, died="gestern"))
    assert bad.status_code == 422
    no_slot = client.post(f"{base}/new", data=form_data(cemetery, plot, start="bald"))
    assert no_slot.status_code == 422
    rule = client.post(
        f"{base}/new", data=form_data(cemetery, plot, start=at(DAY, "07:00").isoformat())
    )
    assert rule.status_code == 422
    assert "nur 09:00–15:00" in rule.get_data(as_text=True)
    slots_bad = client.get(
        f"{base}/new",
        query_string={
            "cemetery": cemetery.id,
            "kind": "coffin",
            "action": "slots",
            "from_day": "nie",
        },
    )
    assert slots_bad.status_code == 422
    too_long = client.get(
        f"{base}/new",
        query_string={
            "cemetery": cemetery.id,
            "kind": "coffin",
            "action": "slots",
            "ceremony": "y",
            "ceremony_minutes": "9999",
        },
    )
    assert too_long.status_code == 422
    assert client.get(f"{base}/new", query_string={"cemetery": "abc"}).status_code == 400
    assert client.get(f"{base}/new", query_string={"cemetery": "99999"}).status_code == 404
    assert db.session.query(Burial).count() == 0


def test_access(
    app, tenant, cemetery, plot, funeral_home, citizen, make_tenant, make_user, client, login
):
    burial = make_burial(tenant, funeral_home, cemetery, plot)
    base = f"/{tenant.slug}/burials"
    assert client.get(f"{base}/new").status_code == 302  # to the login
    login(citizen)
    assert client.get(f"{base}/new").status_code == 403
    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/queue").status_code == 403
    assert client.get(f"{base}/{burial.id}").status_code == 404
    client.post("/account/logout")
    other = make_tenant("anderswo")
    foreign_clerk = make_user("c2@example.org", tenant=other, roles=("clerk",))
    login(foreign_clerk)
    assert client.get(f"/{other.slug}/burials/{burial.id}").status_code == 404
    assert client.post(f"/{other.slug}/burials/{burial.id}/confirm").status_code == 404
    assert client.get(f"{base}/{burial.id}").status_code == 404


def test_clerk_confirms_from_the_queue(
    app, tenant, cemetery, plot, funeral_home, clerk, client, login
):
    burial = make_burial(tenant, funeral_home, cemetery, plot)
    base = f"/{tenant.slug}/burials"
    login(funeral_home)
    assert client.post(f"{base}/{burial.id}/confirm").status_code == 403
    client.post("/account/logout")
    login(clerk)
    queue = client.get(f"{base}/queue").get_data(as_text=True)
    assert "Erika Mustermann" in queue
    assert client.post(f"{base}/{burial.id}/confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(Burial, burial.id).status == "confirmed"
    assert "Erika Mustermann" not in client.get(f"{base}/queue").get_data(as_text=True)


def test_propose_accept(app, tenant, cemetery, plot, funeral_home, clerk, client, login):
    burial = make_burial(tenant, funeral_home, cemetery, plot)
    base = f"/{tenant.slug}/burials"
    login(clerk)
    assert client.get(f"{base}/{burial.id}/propose").status_code == 200
    bad = client.post(f"{base}/{burial.id}/propose", data={"day": DAY.isoformat(), "time": "25:99"})
    assert bad.status_code == 422
    sunday = DAY + timedelta(days=4)
    rule = client.post(
        f"{base}/{burial.id}/propose", data={"day": sunday.isoformat(), "time": "10:00"}
    )
    assert rule.status_code == 422
    ok = client.post(
        f"{base}/{burial.id}/propose",
        data={"day": DAY.isoformat(), "time": "13:30", "reason": "Halle"},
    )
    assert ok.status_code == 302
    client.post("/account/logout")
    login(funeral_home)
    detail = client.get(f"{base}/{burial.id}").get_data(as_text=True)
    assert "Vorschlag annehmen" in detail
    assert client.post(f"{base}/{burial.id}/accept").status_code == 302
    db.session.expire_all()
    burial = db.session.get(Burial, burial.id)
    assert burial.status == "confirmed"
    assert burial.start_at.astimezone(BERLIN).strftime("%H:%M") == "13:30"


def test_cancel_by_the_funeral_home(
    app, tenant, cemetery, plot, funeral_home, make_user, client, login
):
    burial = make_burial(tenant, funeral_home, cemetery, plot)
    base = f"/{tenant.slug}/burials"
    rival = make_user("b2@example.org", tenant=tenant, roles=("funeral_home",))
    login(rival)
    assert client.post(f"{base}/{burial.id}/cancel", data={"reason": "x"}).status_code == 404
    client.post("/account/logout")
    login(funeral_home)
    assert client.get(f"{base}/{burial.id}/cancel").status_code == 200
    too_long = client.post(f"{base}/{burial.id}/cancel", data={"reason": "x" * 600})
    assert too_long.status_code == 422
    assert client.post(f"{base}/{burial.id}/cancel", data={"reason": "verlegt"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Burial, burial.id).status == "cancelled"
    assert slots  # the module is importable from the views' side


def test_a_clerk_enters_a_reihengrab_burial(app, tenant, cemetery, make_plot, clerk, client, login):
    first = make_plot(cemetery, "R-01", "reihengrab", sort_key=1)
    make_plot(cemetery, "R-02", "reihengrab", sort_key=2)
    login(clerk)
    page = client.get(f"/{tenant.slug}/burials/new", query_string={"cemetery": cemetery.id})
    html = page.get_data(as_text=True)
    assert "R-01" not in html  # Reihengräber are allocated, not chosen
    data = {**form_data(cemetery, first), "plot": "", "grave_type": "reihengrab", "ceremony": ""}
    response = client.post(f"/{tenant.slug}/burials/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    burial = db.session.scalars(select(Burial)).one()
    assert (burial.plot_id, burial.status, burial.ceremony_minutes) == (first.id, "confirmed", 0)
