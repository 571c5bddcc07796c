"""Section maps: the SVG tells every status by pattern and letter, the table
says the same in words; staff see everything, the public only the plot a
grave search found; other tenants 404, malformed ids 400/404."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from booking.extensions import db
from cemetery.models import Burial, Contact, GraveRight, Plot
from cemetery.register import local_today, name_key


def box(n: int) -> dict:
    return {"x": n * 12, "y": 0, "width": 10, "height": 18}


@pytest.fixture
def holder(tenant):
    contact = Contact(tenant_id=tenant.id, name="Hanna Halter", street="Lindenweg 3")
    db.session.add(contact)
    db.session.commit()
    return contact


def give_right(plot: Plot, holder: Contact, end: date) -> GraveRight:
    right = GraveRight(
        tenant_id=plot.tenant_id,
        plot_id=plot.id,
        holder_id=holder.id,
        start_date=end - timedelta(days=365 * 20),
        end_date=end,
        status="active",
    )
    db.session.add(right)
    db.session.commit()
    return right


def bury(
    plot: Plot,
    name: str,
    *,
    rest_until: date,
    public=True,
    status="done",
    kind="coffin",
    right=None,
):
    burial = Burial(
        right_id=right.id if right else None,
        tenant_id=plot.tenant_id,
        cemetery_id=plot.cemetery_id,
        plot_id=plot.id,
        kind=kind,
        deceased_name=name,
        deceased_name_key=name_key(name),
        deceased_died=date(2001, 2, 3),
        burial_date=date(2001, 2, 10),
        rest_until=rest_until,
        public_listing=public,
        status=status,
    )
    db.session.add(burial)
    db.session.commit()
    return burial


@pytest.fixture
def field_b(tenant, cemetery, make_plot, holder):
    """Section B with a plot in every status, and one without a position."""
    today = local_today(tenant)
    future, past = today + timedelta(days=3000), today - timedelta(days=30)
    plots = {
        "free": make_plot(cemetery, "B-01-01", **box(0)),
        "reserved": make_plot(cemetery, "B-01-02", **box(1)),
        "occupied": make_plot(cemetery, "B-04-12", **box(2)),
        "rest_ended": make_plot(cemetery, "B-01-04", **box(3)),
        "expired": make_plot(cemetery, "B-01-05", **box(4)),
        "blocked": make_plot(cemetery, "B-01-06", blocked=True, **box(5)),
        "unplaced": make_plot(cemetery, "B-09-99"),
    }
    give_right(plots["reserved"], holder, future)
    right = give_right(plots["occupied"], holder, future)
    bury(plots["occupied"], "Anna Schmidt", rest_until=future, right=right)
    right = give_right(plots["rest_ended"], holder, future)
    bury(plots["rest_ended"], "Otto Alt", rest_until=past, public=False, right=right)
    give_right(plots["expired"], holder, past)
    return plots


def map_url(tenant, plot_or_section, *, cemetery=None, plot=None, **args) -> str:
    section_id = (
        plot_or_section.section_id if isinstance(plot_or_section, Plot) else plot_or_section
    )
    cemetery_id = cemetery.id if cemetery is not None else plot_or_section.cemetery_id
    url = f"/{tenant.slug}/cemeteries/{cemetery_id}/sections/{section_id}/map"
    if plot is not None:
        url += f"?plot={plot}"
    return url


# --- staff: the full map ------------------------------------------------------------------


def test_the_svg_tells_each_status_by_pattern_and_letter(client, login, clerk, tenant, field_b):
    login(clerk)
    response = client.get(map_url(tenant, field_b["free"]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = html[
        html.index('<svg class="plot-map-svg"') : html.index("</svg>", html.index("plot-map-svg"))
    ]
    assert 'viewBox="' in svg
    for pattern in ("dots", "hatch", "lines", "cross", "solid", "plain"):
        assert f'<pattern id="pat-{pattern}"' in svg
    expected = {
        "free": ("plain", "F", "frei"),
        "reserved": ("dots", "R", "reserviert"),
        "occupied": ("hatch", "B", "belegt"),
        "rest_ended": ("lines", "E", "Ruhezeit abgelaufen"),
        "expired": ("cross", "X", "Nutzungsrecht abgelaufen"),
        "blocked": ("solid", "S", "gesperrt"),
    }
    for status, (pattern, letter, text) in expected.items():
        plot = field_b[status]
        link = re.search(
            rf'<a href="[^"]*" aria-label="{plot.code}, Wahlgrab, {text}"[^>]*>(.*?)</a>', svg, re.S
        )
        assert link, status
        inner = link.group(1)
        assert f"<title>{plot.code}, Wahlgrab, {text}</title>" in inner
        assert f'fill="url(#pat-{pattern})"' in inner
        assert re.search(rf">\s*{letter}\s*</text>", inner), status
    assert 'aria-label="B-04-12, Wahlgrab, belegt"' in svg  # as the issue names it
    assert "B-09-99" not in svg  # no position: only in the table


def test_the_legend_and_the_table_say_the_same_in_words(client, login, clerk, tenant, field_b):
    login(clerk)
    html = client.get(map_url(tenant, field_b["free"])).get_data(as_text=True)
    legend = html[html.index('class="map-legend"') :]
    for text in (
        "frei",
        "reserviert",
        "belegt",
        "Ruhezeit abgelaufen",
        "Nutzungsrecht abgelaufen",
        "gesperrt",
    ):
        assert text in legend
    table = html[html.index('<table class="plot-table"') :]
    for status, plot in field_b.items():
        row = re.search(rf'<tr id="plot-{plot.id}".*?</tr>', table, re.S).group(0)
        assert plot.code in row
        if status == "unplaced":
            assert "frei" in row and "nicht auf dem Plan" in row
    occupied = re.search(rf'<tr id="plot-{field_b["occupied"].id}".*?</tr>', table, re.S).group(0)
    assert "belegt" in occupied and "Wahlgrab" in occupied
    assert "Nutzungsrecht bis" in table  # clerks see the right's end
    right_end = local_today(tenant) + timedelta(days=3000)
    assert str(right_end.year) in occupied


def test_a_clerks_plot_links_to_the_register_page(client, login, clerk, tenant, field_b, app):
    login(clerk)
    html = client.get(map_url(tenant, field_b["free"])).get_data(as_text=True)
    plot = field_b["occupied"]
    if "cemetery.plot" in app.view_functions:
        assert f'href="/{tenant.slug}/cemeteries/plots/{plot.id}"' in html
    else:
        assert f'href="#plot-{plot.id}"' in html


def test_a_funeral_home_sees_statuses_but_no_rights(client, login, funeral_home, tenant, field_b):
    login(funeral_home)
    response = client.get(map_url(tenant, field_b["free"]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-label="B-04-12, Wahlgrab, belegt"' in html
    assert "Nutzungsrecht bis" not in html
    assert f'href="#plot-{field_b["occupied"].id}"' in html  # its row, not the clerks' page


def test_the_map_highlights_the_plot_asked_for(client, login, clerk, tenant, field_b):
    login(clerk)
    plot = field_b["occupied"]
    html = client.get(map_url(tenant, plot, plot=plot.id)).get_data(as_text=True)
    assert html.count('class="plot plot-highlight"') == 1
    assert 'class="plot-ring"' in html


def test_statuses_are_read_in_a_fixed_number_of_queries(
    client, login, clerk, tenant, cemetery, make_plot, count_queries
):
    login(clerk)
    first = make_plot(cemetery, "C-1", section="C", **box(0))
    with count_queries() as few:
        assert client.get(map_url(tenant, first)).status_code == 200
    for n in range(2, 30):
        make_plot(cemetery, f"C-{n}", section="C", **box(n))
    with count_queries() as many:
        assert client.get(map_url(tenant, first)).status_code == 200
    assert len(many) == len(few)


def test_a_section_without_positions_shows_the_table_only(
    client, login, clerk, tenant, cemetery, make_plot
):
    login(clerk)
    plot = make_plot(cemetery, "D-1", section="D")
    html = client.get(map_url(tenant, plot)).get_data(as_text=True)
    assert "plot-map-svg" not in html
    assert "D-1" in html and "nicht auf dem Plan" in html


# --- who may see the full map --------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, tenant, field_b):
    response = client.get(map_url(tenant, field_b["free"]))
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_citizens_may_not_see_the_full_map(client, login, citizen, tenant, field_b):
    login(citizen)
    assert client.get(map_url(tenant, field_b["free"])).status_code == 403


def test_staff_of_another_tenant_get_404(client, login, make_tenant, make_user, tenant, field_b):
    other = make_tenant("anderswo")
    login(make_user("clerk@anderswo.example", tenant=other, roles=("clerk",)))
    plot = field_b["occupied"]
    assert client.get(map_url(tenant, plot)).status_code == 403  # not staff here
    # the other tenant's URL with this tenant's ids: not found
    url = map_url(tenant, plot).replace(f"/{tenant.slug}/", f"/{other.slug}/")
    assert client.get(url).status_code == 404


def test_a_section_of_another_cemetery_is_404(
    client, login, clerk, tenant, make_cemetery, make_plot, field_b
):
    login(clerk)
    other = make_cemetery("Waldfriedhof")
    foreign = make_plot(other, "W-1", section="W", **box(0))
    assert (
        client.get(
            map_url(tenant, foreign.section_id, cemetery=field_b["free"].cemetery)
        ).status_code
        == 404
    )
    # a plot of another section
    plot = field_b["occupied"]
    assert client.get(map_url(tenant, foreign, plot=plot.id)).status_code == 404


@pytest.mark.parametrize(
    "plot_arg, status",
    [("abc", 400), ("-1", 400), ("1.5", 400), (str(2**40), 404), ("999999", 404)],
)
def test_malformed_or_unknown_plot_parameters(
    client, login, clerk, tenant, field_b, plot_arg, status
):
    login(clerk)
    assert client.get(map_url(tenant, field_b["free"], plot=plot_arg)).status_code == status


def test_malformed_ids_in_the_path_are_404(client, login, clerk, tenant, field_b):
    login(clerk)
    plot = field_b["free"]
    for url in (
        f"/{tenant.slug}/cemeteries/x/sections/{plot.section_id}/map",
        f"/{tenant.slug}/cemeteries/{plot.cemetery_id}/sections/x/map",
        f"/{tenant.slug}/cemeteries/{plot.cemetery_id}/sections/{2**40}/map",
        f"/{tenant.slug}/cemeteries/{2**40}/sections/{plot.section_id}/map",
    ):
        assert client.get(url).status_code == 404, url


# --- the public: one searched plot -------------------------------------------------------------------


def test_the_public_sees_only_the_searched_plot(client, tenant, field_b):
    plot = field_b["occupied"]  # Anna Schmidt, consented, done
    response = client.get(map_url(tenant, plot, plot=plot.id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-label="B-04-12, Wahlgrab"' in html
    for status, other in field_b.items():
        if status != "occupied":
            assert other.code not in html, status
            assert f'plot-{other.id}"' not in html
    for word in ("belegt", "reserviert", "gesperrt", "Ruhezeit", "Nutzungsrecht", "data-status"):
        assert word not in html, word
    assert "Anna Schmidt" not in html and "Hanna Halter" not in html
    assert html.count('<a href="#plot-') == 1  # only the searched plot is a link
    assert html.count('class="plot-other"') == 5  # the others: outlines without anything


def test_a_searched_plot_without_a_position_is_named_not_drawn(client, tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "B-07-01")
    bury(plot, "Erna Ohneplan", rest_until=date(2040, 1, 1))
    html = client.get(map_url(tenant, plot, plot=plot.id)).get_data(as_text=True)
    assert "B-07-01 ist auf dem Plan noch nicht eingezeichnet" in html
    assert "plot-highlight" not in html


def test_the_public_map_refuses_plots_the_search_would_not_show(
    client, tenant, cemetery, make_plot, field_b
):
    unconsented = field_b["rest_ended"]  # Otto Alt, no consent
    free = field_b["free"]
    anonymous = make_plot(cemetery, "U-1", "urnenfeld_anonym", section="U", **box(0))
    bury(anonymous, "Bruno Schmidt", rest_until=date(2040, 1, 1), kind="urn")
    requested = make_plot(cemetery, "B-02-01", **box(7))
    bury(requested, "Clara Schmidt", rest_until=date(2040, 1, 1), status="requested")
    for plot in (unconsented, free, anonymous, requested):
        assert client.get(map_url(tenant, plot, plot=plot.id)).status_code == 404, plot.code


def test_a_signed_in_citizen_gets_the_public_view(client, login, citizen, tenant, field_b):
    login(citizen)
    plot = field_b["occupied"]
    html = client.get(map_url(tenant, plot, plot=plot.id)).get_data(as_text=True)
    assert "belegt" not in html and field_b["blocked"].code not in html
    assert (
        client.get(map_url(tenant, field_b["expired"], plot=field_b["expired"].id)).status_code
        == 404
    )


def test_the_public_map_of_another_tenant_is_404(client, make_tenant, tenant, field_b):
    other = make_tenant("anderswo")
    plot = field_b["occupied"]
    url = map_url(tenant, plot, plot=plot.id).replace(f"/{tenant.slug}/", f"/{other.slug}/")
    assert client.get(url).status_code == 404


def test_the_public_map_is_rate_limited(app, client, tenant, field_b, monkeypatch):
    monkeypatch.setitem(app.config, "GRAVE_SEARCH_RATE_LIMIT", "2/minute")
    plot = field_b["occupied"]
    for _ in range(2):
        assert client.get(map_url(tenant, plot, plot=plot.id)).status_code == 200
    response = client.get(map_url(tenant, plot, plot=plot.id))
    assert response.status_code == 429
    assert "Bitte warten Sie eine Minute" in response.get_data(as_text=True)


def test_staff_are_not_rate_limited_on_the_map(
    app, client, login, clerk, tenant, field_b, monkeypatch
):
    monkeypatch.setitem(app.config, "GRAVE_SEARCH_RATE_LIMIT", "1/minute")
    login(clerk)
    for _ in range(3):
        assert client.get(map_url(tenant, field_b["free"])).status_code == 200


# --- the section list --------------------------------------------------------------------------------


def test_the_section_list_links_each_map(client, login, clerk, tenant, cemetery, field_b):
    login(clerk)
    response = client.get(f"/{tenant.slug}/cemeteries/{cemetery.id}/sections")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert map_url(tenant, field_b["free"]) in html
    assert ">7<" in html  # plots in section B


def test_the_section_list_is_for_staff_and_funeral_homes(
    client, login, citizen, funeral_home, tenant, cemetery
):
    url = f"/{tenant.slug}/cemeteries/{cemetery.id}/sections"
    assert client.get(url).status_code == 302
    login(citizen)
    assert client.get(url).status_code == 403
    login(funeral_home)
    assert client.get(url).status_code == 200


def test_the_section_list_of_another_tenants_cemetery_is_404(
    client, login, make_tenant, make_user, tenant, cemetery
):
    other = make_tenant("anderswo")
    login(make_user("clerk@anderswo.example", tenant=other, roles=("clerk",)))
    assert client.get(f"/{other.slug}/cemeteries/{cemetery.id}/sections").status_code == 404
    assert client.get(f"/{tenant.slug}/cemeteries/{cemetery.id}/sections").status_code == 403
