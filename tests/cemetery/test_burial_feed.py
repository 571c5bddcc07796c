"""The burial-schedule feed (the cemetery scope): a burial's chapel and
crew dates with its title and plot; a cancelled burial as STATUS:CANCELLED."""

from __future__ import annotations

from datetime import date, timedelta

from booking.extensions import db
from booking.reservations.models import Booking
from cemetery import burials
from tests.cemetery.test_burials import HOLDER
from tests.feeds.feed_helpers import by_uid, subscribe
from tests.times import at, workday

DAY = workday(weekday=3, after_days=20)


def test_burials_in_the_cemetery_feed(
    app, tenant, cemetery, make_plot, funeral_home, clerk, client
):
    plot = make_plot(cemetery, "B-04-12")
    burial = burials.create_burial(
        tenant,
        clerk,
        cemetery,
        kind="urn",
        deceased={"name": "Erika Mustermann", "died": date.today() - timedelta(days=1)},
        plot=plot,
        holder=HOLDER,
        start=at(DAY, "11:00"),
        ceremony_minutes=30,
    )
    db.session.commit()
    path = subscribe(tenant, clerk, "cemetery", cemetery=cemetery)
    response = client.get(path)
    assert response.status_code == 200
    events = list(by_uid(response.get_data()).values())
    assert len(events) == 2  # the chapel's ceremony, then the crew
    for event in events:
        assert str(event["SUMMARY"]) == "Bestattung Erika Mustermann"
        assert "B-04-12" in str(event["DESCRIPTION"])
        assert str(event["STATUS"]) == "CONFIRMED"
    locations = sorted(str(e["LOCATION"]) for e in events)
    assert locations[0].startswith("Friedhofsteam") and locations[1].startswith("Trauerhalle")

    burials.cancel_burial(tenant, clerk, burial, reason="verlegt")
    db.session.commit()
    events = list(by_uid(client.get(path).get_data()).values())
    assert len(events) == 2
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    assert {b.status for b in db.session.query(Booking)} == {"cancelled"}
