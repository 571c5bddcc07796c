"""Input far outside any sensible range answers 400/404/422, never a 500
(found by the review: dates in the year 9999, ids past 32 bits), and an
imported burial never shares a place with an earlier-imported one whose
rest period overlaps."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from booking.core import ValidationFailed
from booking.extensions import db
from cemetery import importer, rights
from cemetery.models import Burial
from tests.cemetery.test_import import NOW, csv_bytes

HUGE = 10**30


def test_pages_refuse_dates_and_ids_out_of_range(
    app, client, login, tenant, cemetery, funeral_home, clerk
):
    base = f"/{tenant.slug}"
    login(clerk)
    for day in ("9999-12-31", "0001-01-01"):
        assert client.get(f"{base}/burials/day-sheet/{cemetery.id}?day={day}").status_code == 400
    link = client.post(f"{base}/my-graves/link", data={"contact_id": str(HUGE), "email": "a@b.de"})
    assert link.status_code == 422
    client.post("/account/logout")
    login(funeral_home)
    assert client.get(f"{base}/burials/new?cemetery={HUGE}").status_code == 404
    slots = client.get(
        f"{base}/burials/new",
        query_string={
            "cemetery": cemetery.id,
            "kind": "urn",
            "action": "slots",
            "from_day": "9999-12-31",
        },
    )
    assert slots.status_code == 422


def test_api_plot_list_with_a_section_id_past_any_key(api, tenant, clerk, cemetery):
    response = api(clerk, tenant).get(f"/cemeteries/{cemetery.id}/plots?section_id={HUGE}")
    assert response.status_code == 200
    assert response.json == {"items": []}


def test_rights_refuse_years_out_of_range(app, tenant, clerk, cemetery, make_plot):
    holder = rights.find_or_create_contact(tenant, name="Hanna Halter")
    plot = make_plot(cemetery, "W-1")
    with pytest.raises(ValidationFailed) as far:
        rights.acquire_right(tenant, clerk, plot, holder, start=date(9999, 12, 1), bill=False)
    assert "start" in far.value.fields
    right = rights.acquire_right(tenant, clerk, plot, holder, start=date(2000, 1, 1), bill=False)
    with pytest.raises(ValidationFailed) as until:
        rights.years_until(right, date(9999, 12, 31))
    assert "until" in until.value.fields


def test_an_earlier_imported_burial_takes_another_place(app, tenant, cemetery):
    first = csv_bytes(
        "A;01;02;Wahlgrab;Josef Zimmermann;18.11.1986;18.11.2036;Gerhard Wolf;08.04.1942;"
        "06.10.2006;09.10.2006;Urne;"
    )
    later = csv_bytes(
        "A;01;02;Wahlgrab;Josef Zimmermann;18.11.1986;18.11.2036;Neue Person;01.01.1930;"
        "01.03.1999;05.03.1999;Urne;"
    )
    for data in (first, later):
        report = importer.import_register(tenant, None, cemetery, data, filename="r.csv", now=NOW)
        assert report.ok, report.lines()[:5]
        db.session.commit()
    places = {b.deceased_name: b.place for b in db.session.scalars(select(Burial))}
    assert places == {"Gerhard Wolf": 1, "Neue Person": 2}


def test_a_transfer_is_dated_between_the_rights_start_and_today(
    app, tenant, clerk, cemetery, make_plot
):
    holder = rights.find_or_create_contact(tenant, name="Hanna Halter")
    heir = rights.find_or_create_contact(tenant, name="Erich Erbe")
    right = rights.acquire_right(
        tenant, clerk, make_plot(cemetery, "W-2"), holder, start=date(2000, 1, 1), bill=False
    )
    for day in (date(9999, 12, 31), date(1999, 12, 31)):
        with pytest.raises(ValidationFailed) as refusal:
            rights.transfer_right(tenant, clerk, right, heir, on=day, bill=False)
        assert "on" in refusal.value.fields
    assert right.holder_id == holder.id
