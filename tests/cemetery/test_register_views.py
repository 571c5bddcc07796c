"""The clerk pages of the register: roles (403, login), other tenants (404),
bad input shown again (422, nothing written), and the actions working."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from cemetery import fees, register, rights
from cemetery.models import Cemetery, GraveRight, GraveType, Plot, Section
from tests.cemetery.test_register import add_burial


@pytest.fixture
def other(make_tenant, make_cemetery, make_plot):
    tenant = make_tenant("nachbarort")
    cemetery = make_cemetery("Friedhof Nachbarort", of_tenant=tenant)
    plot = make_plot(cemetery, "N-1")
    holder = rights.find_or_create_contact(tenant, name="Nora Nachbar")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2020, 1, 1), bill=False)
    db.session.commit()
    return tenant, cemetery, plot, right


@pytest.fixture
def wahlgrab(tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "B-04-12", "wahlgrab", row="04", number="12")
    holder = rights.find_or_create_contact(
        tenant, name="Hans Halter", street="Lindenweg 3", postcode="35390", city="Gießen"
    )
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2000, 5, 1), bill=False)
    db.session.commit()
    return plot, right


def url(tenant, path=""):
    return f"/{tenant.slug}/cemeteries{path}"


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- public pages ----------------------------------------------------------------------


def test_public_index_and_detail_show_names_only(client, tenant, cemetery):
    cemetery.description = "Der alte Friedhof an der Kirche."
    db.session.commit()
    page = client.get(url(tenant, "/")).get_data(as_text=True)
    assert "Friedhof Musterhausen" in page and "Friedhof anlegen" not in page
    response = client.get(url(tenant, f"/{cemetery.id}"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Der alte Friedhof" in page
    assert "Ruhezeiten" not in page and "Trauerhalle" not in page


def test_detail_of_another_tenant_is_404(client, tenant, other):
    _tenant, cemetery, _plot, _right = other
    assert client.get(url(tenant, f"/{cemetery.id}")).status_code == 404


def test_staff_index_is_a_management_list(client, login, tenant, clerk, cemetery, make_plot):
    make_plot(cemetery, "A-1")
    login(clerk)
    page = client.get(url(tenant, "/")).get_data(as_text=True)
    assert "Friedhof anlegen" in page and "Abgelaufene Nutzungsrechte" in page
    assert "Grabarten" not in page  # admins only
    page = client.get(url(tenant, f"/{cemetery.id}")).get_data(as_text=True)
    assert "Ruhezeiten" in page and "Feld B" in page


# --- roles -----------------------------------------------------------------------------

STAFF_PAGES = [
    "/new",
    "/{cemetery}/edit",
    "/{cemetery}/plots",
    "/{cemetery}/plots/new",
    "/{cemetery}/plots/row",
    "/plots/{plot}",
    "/plots/{plot}/edit",
    "/expired",
]
ADMIN_PAGES = ["/grave-types", "/grave-types/new", "/grave-types/{grave_type}/edit"]


def fill(path, cemetery, plot, grave_type):
    return path.format(cemetery=cemetery.id, plot=plot.id, grave_type=grave_type.id)


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_pages_need_a_login_and_the_role(
    client, login, tenant, citizen, funeral_home, clerk, admin, wahlgrab, path
):
    plot, _right = wahlgrab
    grave_type = plot.grave_type
    target = url(tenant, fill(path, plot.cemetery, plot, grave_type))
    response = client.get(target)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for user in (citizen, funeral_home):
        login(user)
        assert client.get(target).status_code == 403
        client.post("/account/logout")
    login(clerk)
    assert client.get(target).status_code == (403 if path in ADMIN_PAGES else 200)
    client.post("/account/logout")
    login(admin)
    assert client.get(target).status_code == 200


POSTS = [
    "/plots/{plot}/edit",
    "/{cemetery}/sections",
    "/{cemetery}/plots/new",
    "/{cemetery}/plots/row",
    "/{cemetery}/edit",
    "/plots/{plot}/block",
    "/plots/{plot}/right",
    "/plots/{plot}/rights/{right}/extend",
    "/plots/{plot}/rights/{right}/transfer",
    "/plots/{plot}/rights/{right}/surrender",
]


@pytest.mark.parametrize("path", POSTS)
def test_posts_are_refused_for_other_roles(client, login, tenant, funeral_home, wahlgrab, path):
    plot, right = wahlgrab
    login(funeral_home)
    target = url(tenant, path.format(cemetery=plot.cemetery_id, plot=plot.id, right=right.id))
    assert client.post(target, data={"years": "1", "reason": "x"}).status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES[1:7] + POSTS)
def test_objects_of_another_tenant_are_404(client, login, tenant, admin, other, path):
    _tenant, cemetery, plot, right = other
    login(admin)
    target = url(tenant, path.format(cemetery=cemetery.id, plot=plot.id, right=right.id))
    method = client.post if path in POSTS else client.get
    assert method(target, data={"years": "1"}).status_code == 404


def test_grave_type_of_another_tenant_is_404(client, login, tenant, admin, other):
    other_tenant = other[0]
    foreign = db.session.scalar(select(GraveType).where(GraveType.tenant_id == other_tenant.id))
    login(admin)
    assert client.get(url(tenant, f"/grave-types/{foreign.id}/edit")).status_code == 404


def test_a_right_of_another_plot_is_404(client, login, tenant, clerk, wahlgrab, make_plot):
    plot, right = wahlgrab
    second = make_plot(plot.cemetery, "B-04-13")
    login(clerk)
    target = url(tenant, f"/plots/{second.id}/rights/{right.id}/extend")
    assert client.post(target, data={"years": "1"}).status_code == 404


# --- cemetery settings -----------------------------------------------------------------


def hours_data(**overrides):
    data = {f"day_{d}_from": "09:00" for d in range(5)} | {f"day_{d}_to": "15:00" for d in range(5)}
    data |= {
        "name": "Waldfriedhof",
        "address": "Am Wald 1",
        "lead_days_coffin": "3",
        "lead_days_urn": "2",
        "burials_per_day": "4",
        "burial_minutes": "60",
        "rest_years_coffin": "25",
        "rest_years_urn": "20",
        "rest_years_child_coffin": "15",
        "rest_years_child_urn": "15",
        "child_age": "10",
        "day_5_from": "09:00",
        "day_5_to": "12:00",
    }
    return data | overrides


def test_create_and_edit_a_cemetery(client, login, tenant, clerk):
    login(clerk)
    page = client.get(url(tenant, "/new")).get_data(as_text=True)
    assert 'value="09:00"' in page  # the default hours prefilled
    response = client.post(url(tenant, "/new"), data=hours_data())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    cemetery = db.session.scalar(select(Cemetery))
    assert cemetery.burial_hours["5"] == [[540, 720]] and "6" not in cemetery.burial_hours
    assert cemetery.chapel.name == "Trauerhalle Waldfriedhof"
    response = client.post(
        url(tenant, f"/{cemetery.id}/edit"),
        data=hours_data(rest_years_urn="15", day_5_from="", day_5_to=""),
    )
    assert response.status_code == 302
    db.session.expire_all()
    cemetery = db.session.get(Cemetery, cemetery.id)
    assert cemetery.rest_years_urn == 15 and "5" not in cemetery.burial_hours


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Name"),
        ({"rest_years_coffin": "0"}, "Ruhezeit Sarg"),
        ({"burials_per_day": "viele"}, "Bestattungen je Tag"),
        ({"day_0_to": ""}, "beide Zeiten"),
        ({"day_0_from": "16:00"}, "muss nach"),
        ({"day_1_from": "25:00"}, "Uhrzeit"),
    ],
)
def test_bad_cemetery_settings_are_shown_again(client, login, tenant, clerk, overrides, message):
    login(clerk)
    response = client.post(url(tenant, "/new"), data=hours_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Cemetery) == 0


def test_duplicate_cemetery_name_is_422(client, login, tenant, clerk, cemetery):
    login(clerk)
    response = client.post(url(tenant, "/new"), data=hours_data(name=cemetery.name))
    assert response.status_code == 422 and "gibt es schon" in response.get_data(as_text=True)


def test_sections(client, login, tenant, clerk, cemetery):
    login(clerk)
    target = url(tenant, f"/{cemetery.id}/sections")
    assert client.post(target, data={"name": "Urnenhain"}).status_code == 302
    response = client.post(target, data={"name": "Urnenhain"})
    assert response.status_code == 422
    response = client.post(target, data={"name": ""})
    assert response.status_code == 422
    assert count(Section) == 1


# --- plots -----------------------------------------------------------------------------


def test_create_a_plot_and_a_row(client, login, tenant, clerk, cemetery):
    login(clerk)
    response = client.post(
        url(tenant, f"/{cemetery.id}/plots/new"),
        data={"code": "A-01-01", "grave_type": "wahlgrab", "section": "A", "x": "5"},
    )
    assert response.status_code == 302
    response = client.post(
        url(tenant, f"/{cemetery.id}/plots/row"),
        data={
            "section": "A",
            "row": "02",
            "first": "1",
            "count": "5",
            "grave_type": "reihengrab",
            "x": "0",
            "y": "40",
            "step": "12",
        },
    )
    assert response.status_code == 302
    assert count(Plot) == 6
    page = client.get(url(tenant, f"/{cemetery.id}/plots?grave_type=reihengrab")).get_data(
        as_text=True
    )
    assert ">A-02-05<" in page and ">A-01-01<" not in page and "frei" in page


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/plots/new", {"code": "", "grave_type": "wahlgrab"}, "Grabnummer"),
        ("/plots/new", {"code": "A", "grave_type": "nix"}, "Grabart"),
        ("/plots/new", {"code": "A", "grave_type": "wahlgrab", "x": "links"}, "x"),
        (
            "/plots/row",
            {
                "section": "A",
                "first": "1",
                "count": "900",
                "grave_type": "reihengrab",
                "x": "0",
                "y": "0",
                "step": "12",
            },
            "Anzahl",
        ),
    ],
)
def test_bad_plots_are_shown_again(client, login, tenant, clerk, cemetery, path, data, message):
    login(clerk)
    response = client.post(url(tenant, f"/{cemetery.id}{path}"), data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Plot) == 0


def test_a_row_overlapping_existing_codes_writes_nothing(
    client, login, tenant, clerk, cemetery, make_plot
):
    make_plot(cemetery, "A-02-03", section="A")
    login(clerk)
    response = client.post(
        url(tenant, f"/{cemetery.id}/plots/row"),
        data={
            "section": "A",
            "row": "02",
            "first": "1",
            "count": "5",
            "grave_type": "reihengrab",
            "x": "0",
            "y": "0",
            "step": "12",
        },
    )
    assert response.status_code == 422 and "A-02-03" in response.get_data(as_text=True)
    assert count(Plot) == 1


@pytest.mark.parametrize(
    "query", ["section_id=99999999999", "section_id=x", "status=kaputt", "grave_type=nix"]
)
def test_plot_list_ignores_bad_filters(client, login, tenant, clerk, cemetery, wahlgrab, query):
    login(clerk)
    response = client.get(url(tenant, f"/{cemetery.id}/plots?{query}"))
    assert response.status_code == 200 and ">B-04-12<" in response.get_data(as_text=True)


def test_plot_list_refuses_control_characters(client, login, tenant, clerk, cemetery):
    login(clerk)
    assert client.get(url(tenant, f"/{cemetery.id}/plots?grave_type=%00")).status_code == 400


def test_plot_list_shows_status_as_text(client, login, tenant, clerk, cemetery, wahlgrab):
    plot, _right = wahlgrab
    add_burial(plot, buried=date(2020, 1, 1))
    login(clerk)
    page = client.get(url(tenant, f"/{cemetery.id}/plots")).get_data(as_text=True)
    assert "belegt (Ruhezeit läuft)" in page
    page = client.get(url(tenant, f"/{cemetery.id}/plots?status=free")).get_data(as_text=True)
    assert "B-04-12" not in page


# --- the plot page and its actions -----------------------------------------------------


def test_plot_page_shows_right_history_and_burials(client, login, tenant, clerk, wahlgrab):
    plot, _right = wahlgrab
    add_burial(plot, buried=date(2001, 2, 3), name="Erna Halter")
    login(clerk)
    page = client.get(url(tenant, f"/plots/{plot.id}")).get_data(as_text=True)
    assert "Hans Halter, Lindenweg 3, 35390 Gießen" in page
    assert "01.05.2000 – 01.05.2030" in page
    assert "Erna Halter" in page and "03.02.2026" in page
    assert "Ruhezeit abgelaufen, Nutzungsrecht läuft" in page
    assert "Ehegatte" in page  # the succession order as a guide


def test_acquire_a_right_on_a_free_plot(client, login, tenant, clerk, cemetery, make_plot):
    plot = make_plot(cemetery, "B-1", "wahlgrab")
    login(clerk)
    target = url(tenant, f"/plots/{plot.id}/right")
    response = client.post(target, data={"name": "", "start": "morgen"})
    assert response.status_code == 422
    assert count(GraveRight) == 0
    response = client.post(
        target,
        data={
            "name": "Maria Muster",
            "city": "Wetzlar",
            "start": "01.03.2027",
            "years": "",
            "certificate_number": "GU-1",
            "successor_name": "Max Muster",
        },
    )
    assert response.status_code == 302
    right = db.session.scalar(select(GraveRight))
    assert right.end_date == date(2057, 3, 1) and right.successor.name == "Max Muster"


def test_extend_by_years_and_until_a_day(client, login, tenant, clerk, wahlgrab):
    plot, right = wahlgrab
    fees.load_example(tenant, None)
    db.session.commit()
    login(clerk)
    target = url(tenant, f"/plots/{plot.id}/rights/{right.id}/extend")
    response = client.post(target, data={"years": "2"})
    assert response.status_code == 302
    response = client.post(target, data={"until": "02.05.2033"})  # a day over: a whole year
    assert response.status_code == 302
    db.session.expire_all()
    right = db.session.get(GraveRight, right.id)
    assert right.end_date == date(2034, 5, 1)
    assert [e.years for e in right.events if e.kind == "extended"] == [2, 2]
    invoice_ids = [e.invoice_id for e in right.events if e.kind == "extended"]
    assert all(invoice_ids)
    page = client.get(url(tenant, f"/plots/{plot.id}")).get_data(as_text=True)
    assert f"/{tenant.slug}/invoices/{invoice_ids[0]}" in page


@pytest.mark.parametrize(
    "data", [{}, {"years": "0"}, {"years": "zwei"}, {"until": "01.01.2020"}, {"until": "x"}]
)
def test_bad_extensions_are_shown_again(client, login, tenant, clerk, wahlgrab, data):
    plot, right = wahlgrab
    login(clerk)
    response = client.post(url(tenant, f"/plots/{plot.id}/rights/{right.id}/extend"), data=data)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(GraveRight, right.id).end_date == date(2030, 5, 1)


def test_extension_of_a_reihengrab_is_refused(client, login, tenant, clerk, cemetery, make_plot):
    plot = make_plot(cemetery, "R-1", "reihengrab")
    holder = rights.find_or_create_contact(tenant, name="Rita Reihe")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2020, 1, 1), bill=False)
    db.session.commit()
    login(clerk)
    response = client.post(
        url(tenant, f"/plots/{plot.id}/rights/{right.id}/extend"), data={"years": "1"}
    )
    assert response.status_code == 422
    assert "kann nicht verlängert werden" in response.get_data(as_text=True)


def test_transfer_and_surrender(client, login, tenant, clerk, wahlgrab):
    plot, right = wahlgrab
    add_burial(plot, buried=date(2020, 1, 1))
    login(clerk)
    base = url(tenant, f"/plots/{plot.id}/rights/{right.id}")
    response = client.post(
        base + "/transfer",
        data={
            "name": "Tina Halter",
            "on": "15.06.2026",
            "relation": "Kinder (ehelich, nichtehelich, adoptiert)",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    response = client.post(base + "/transfer", data={"name": "", "on": "15.06.2026"})
    assert response.status_code == 422
    # The rest period runs until 2045: no surrender.
    response = client.post(base + "/surrender", data={"on": "15.06.2027"})
    assert response.status_code == 422 and "01.01.2045" in response.get_data(as_text=True)
    db.session.expire_all()
    right = db.session.get(GraveRight, right.id)
    assert right.holder.name == "Tina Halter" and right.status == "active"
    assert right.events[-1].note == "Kinder (ehelich, nichtehelich, adoptiert)"


def test_block_and_unblock(client, login, tenant, clerk, cemetery, make_plot):
    plot = make_plot(cemetery, "B-9")
    login(clerk)
    target = url(tenant, f"/plots/{plot.id}/block")
    assert client.post(target, data={"reason": ""}).status_code == 422
    assert client.post(target, data={"reason": "Wegebau"}).status_code == 302
    page = client.get(url(tenant, f"/plots/{plot.id}")).get_data(as_text=True)
    assert "gesperrt" in page and "Wegebau" in page
    assert client.post(target, data={"unblock": "1"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Plot, plot.id).blocked


def test_expired_rights_list(client, login, tenant, clerk, cemetery, make_plot, other):
    plot = make_plot(cemetery, "E-1", "reihengrab")
    holder = rights.find_or_create_contact(tenant, name="Ernst Ende")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(1990, 1, 1), bill=False)
    db.session.commit()
    login(clerk)
    page = client.get(url(tenant, "/expired")).get_data(as_text=True)
    assert "E-1" in page and "Ernst Ende" in page and "Nora Nachbar" not in page
    response = client.post(
        url(tenant, f"/plots/{plot.id}/rights/{right.id}/surrender"),
        data={"on": "01.01.2026", "close": "1"},
    )
    assert response.status_code == 302
    assert "E-1" not in client.get(url(tenant, "/expired")).get_data(as_text=True)
    assert register.status_of(tenant, db.session.get(Plot, plot.id)) == "free"


# --- grave types -----------------------------------------------------------------------


def test_admin_adds_and_edits_grave_types(client, login, tenant, admin):
    login(admin)
    response = client.post(
        url(tenant, "/grave-types/new"),
        data={
            "key": "urnengemeinschaft",
            "name": "Urnengemeinschaftsgrab",
            "coffin_places": "0",
            "urn_places": "8",
            "default_term_years": "20",
            "discloses_location": "y",
            "active": "y",
        },
    )
    assert response.status_code == 302
    kind = db.session.scalar(select(GraveType).where(GraveType.key == "urnengemeinschaft"))
    response = client.post(
        url(tenant, f"/grave-types/{kind.id}/edit"),
        data={
            "name": "Urnengemeinschaftsgrab",
            "coffin_places": "0",
            "urn_places": "10",
            "default_term_years": "20",
            "extendable": "y",
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    kind = db.session.get(GraveType, kind.id)
    assert kind.urn_places == 10 and kind.extendable and not kind.discloses_location
    response = client.post(
        url(tenant, "/grave-types/new"),
        data={
            "key": "wahlgrab",
            "name": "X",
            "coffin_places": "1",
            "urn_places": "0",
            "default_term_years": "0",
        },
    )
    assert response.status_code == 422


def test_edit_a_plot(client, login, tenant, clerk, wahlgrab):
    plot, _right = wahlgrab
    login(clerk)
    target = url(tenant, f"/plots/{plot.id}/edit")
    assert re.search(
        r'<option selected value="wahlgrab"|value="wahlgrab" selected',
        client.get(target).get_data(as_text=True),
    )
    response = client.post(target, data={"grave_type": "nix", "x": "1"})
    assert response.status_code == 422
    response = client.post(target, data={"grave_type": "urnenwahlgrab", "x": "7", "notes": "Hecke"})
    assert response.status_code == 302
    db.session.expire_all()
    plot = db.session.get(Plot, plot.id)
    assert (plot.grave_type.key, plot.x, plot.notes) == ("urnenwahlgrab", 7, "Hecke")


def test_links_to_the_grave_search_and_the_section_map(client, login, tenant, clerk, wahlgrab, app):
    plot, _right = wahlgrab
    page = client.get(url(tenant, f"/{plot.cemetery_id}")).get_data(as_text=True)
    if "grave_search.index" in app.view_functions:
        assert f"/{tenant.slug}/grave-search" in page
    login(clerk)
    page = client.get(url(tenant, f"/plots/{plot.id}")).get_data(as_text=True)
    if "cemetery_map.section_map" in app.view_functions:
        assert f"/sections/{plot.section_id}/map?plot={plot.id}" in page
