"""The public grave search: consent, anonymity, status, one cemetery, two
letters, literal wildcards, the cap — the service, the page and the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.core import ValidationFailed
from booking.extensions import db
from booking.tenants.models import Tenant
from cemetery import search
from cemetery.models import Burial, Plot
from cemetery.register import name_key


@pytest.fixture
def bury():
    """``bury(plot, name, *, status="done", public=True, **fields)``: a
    burial row on ``plot`` (as the register would hold it), committed."""

    def make(plot: Plot, name: str, *, status: str = "done", public: bool = True, **fields):
        died = fields.pop("died", date(2020, 3, 1))
        burial = Burial(
            tenant_id=plot.tenant_id,
            cemetery_id=plot.cemetery_id,
            plot_id=plot.id,
            kind=fields.pop("kind", "coffin"),
            place=fields.pop("place", 1),
            deceased_name=name,
            deceased_name_key=name_key(name),
            deceased_born=fields.pop("born", date(1931, 5, 17)),
            deceased_died=died,
            burial_date=fields.pop("burial_date", died + timedelta(days=9)),
            rest_until=fields.pop("rest_until", date(2045, 3, 9)),
            public_listing=public,
            status=status,
            funeral_home_name=fields.pop("funeral_home_name", "Bestattungen Ruhe"),
            **fields,
        )
        db.session.add(burial)
        db.session.commit()
        return burial

    return make


@pytest.fixture
def plot(cemetery, make_plot):
    return make_plot(cemetery, "B-04-12", "wahlgrab", section="B")


def names(found) -> list[str]:
    return [hit.name for hit in found]


# --- who is found ---------------------------------------------------------------------------


def test_a_consented_past_burial_is_found_with_its_place(tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt")
    (hit,) = search.search(tenant, cemetery, "schmidt")
    assert (hit.name, hit.born, hit.died) == ("Anna Schmidt", date(1931, 5, 17), date(2020, 3, 1))
    assert (hit.cemetery, hit.section, hit.plot_code) == ("Friedhof Musterhausen", "B", "B-04-12")
    assert (hit.plot_id, hit.section_id) == (plot.id, plot.section_id)


def test_a_confirmed_burial_is_found_a_requested_or_cancelled_one_not(tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt", status="confirmed")
    bury(plot, "Bruno Schmidt", status="requested", place=2)
    bury(plot, "Clara Schmidt", status="cancelled", place=3)
    assert names(search.search(tenant, cemetery, "Schmidt")) == ["Anna Schmidt"]


def test_without_consent_nobody_is_found(tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt", public=False)
    assert names(search.search(tenant, cemetery, "Schmidt")) == []


def test_an_anonymous_urn_field_is_never_found_even_with_consent(tenant, cemetery, make_plot, bury):
    field = make_plot(cemetery, "U-1", "urnenfeld_anonym", section="U")
    bury(field, "Anna Schmidt", kind="urn", public=True)
    assert names(search.search(tenant, cemetery, "Schmidt")) == []
    assert not search.is_public_plot(tenant, field)


def test_another_cemetery_is_not_searched(tenant, cemetery, make_cemetery, make_plot, bury):
    other = make_cemetery("Waldfriedhof")
    bury(make_plot(other, "W-1"), "Anna Schmidt")
    assert names(search.search(tenant, cemetery, "Schmidt")) == []
    assert names(search.search(tenant, other, "Schmidt")) == ["Anna Schmidt"]


def test_a_cemetery_of_another_tenant_is_refused(tenant, make_tenant, make_cemetery):
    other_tenant = make_tenant("anderswo")
    foreign = make_cemetery("Fremder Friedhof", of_tenant=other_tenant)
    with pytest.raises(ValueError):
        search.search(tenant, foreign, "Schmidt")


# --- how names match ---------------------------------------------------------------------------


def test_word_prefixes_in_any_order_accents_and_case_folded(tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt")
    bury(plot, "Jürgen Müller-Lüdenscheidt", place=2)
    bury(plot, "Johanna Weiß", place=3)
    assert names(search.search(tenant, cemetery, "schm")) == ["Anna Schmidt"]
    assert names(search.search(tenant, cemetery, "ANNA")) == ["Anna Schmidt"]  # not Johanna
    assert names(search.search(tenant, cemetery, "schmidt anna")) == ["Anna Schmidt"]
    assert names(search.search(tenant, cemetery, "Schmidt, Anna")) == ["Anna Schmidt"]
    assert names(search.search(tenant, cemetery, "muller")) == ["Jürgen Müller-Lüdenscheidt"]
    assert names(search.search(tenant, cemetery, "Lüd")) == ["Jürgen Müller-Lüdenscheidt"]
    assert names(search.search(tenant, cemetery, "weiss")) == ["Johanna Weiß"]
    assert names(search.search(tenant, cemetery, "midt")) == []  # no substring match


def test_wildcard_characters_are_literal(tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt")
    bury(plot, "Anna Sch_dt", place=2)
    for query in ("%an", "an%", "Sch%", "S_hmidt", "an%na", "%%an", "\\an", "a_na"):
        assert "Anna Schmidt" not in names(search.search(tenant, cemetery, query)), query
    assert names(search.search(tenant, cemetery, "sch_")) == ["Anna Sch_dt"]
    bury(plot, "Otto %Xan", place=3)  # "%an" is no word's beginning here
    assert names(search.search(tenant, cemetery, "%an")) == []
    assert names(search.search(tenant, cemetery, "%xa")) == ["Otto %Xan"]


def test_quotes_and_backslashes_are_plain_text(tenant, cemetery, plot, bury):
    bury(plot, "Seán O'Brien")
    bury(plot, "Anna Schmidt", place=2)
    assert names(search.search(tenant, cemetery, "o'br")) == ["Seán O'Brien"]
    assert names(search.search(tenant, cemetery, "Sean")) == ["Seán O'Brien"]
    for query in ("x' OR '1'='1", "an' --", "an\\' OR 1=1 --", "an\\"):
        assert names(search.search(tenant, cemetery, query)) == [], query


@pytest.mark.parametrize("query", ["", " ", "a", " a ", "%", "%%", "_a", "a%_", "1234", "ä "])
def test_at_least_two_letters(tenant, cemetery, query):
    with pytest.raises(ValidationFailed) as refused:
        search.search(tenant, cemetery, query)
    assert "name" in refused.value.fields


@pytest.mark.parametrize("query", [None, 42, "x" * 101, "an\x00na"])
def test_malformed_names_are_refused(tenant, cemetery, query):
    with pytest.raises(ValidationFailed):
        search.search(tenant, cemetery, query)


def test_results_are_capped_and_say_there_are_more(tenant, cemetery, make_plot, bury):
    for n in range(7):
        bury(make_plot(cemetery, f"B-01-{n:02d}"), f"Maria Schmitt {n}")
    found = search.search(tenant, cemetery, "Sc", limit=5)
    assert len(found) == 5 and found.more
    assert names(found) == [f"Maria Schmitt {n}" for n in range(5)]  # in name order
    exact = search.search(tenant, cemetery, "Sc", limit=7)
    assert len(exact) == 7 and not exact.more


def test_the_search_walks_the_name_index_of_the_cemetery(app, tenant, cemetery, database):
    """SQLite's plan (PostgreSQL's depends on the table's statistics): the
    index (cemetery_id, deceased_name_key), which also gives the order."""
    if database != "sqlite":
        pytest.skip("query plans are compared on SQLite")
    statement = search.hits_query(tenant, cemetery, search.query_words("Schm"), 51)
    sql = str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    plan = " ".join(
        str(row) for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
    )
    assert "ix_burial_cemetery_name" in plan


# --- the page -------------------------------------------------------------------------------


def page(client, tenant: Tenant, **args):
    return client.get(f"/{tenant.slug}/grave-search", query_string=args)


def test_the_page_searches_without_sign_in_and_links_the_map(client, tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt", funeral_home_name="Bestattungen Ruhe")
    response = page(client, tenant, cemetery_id=cemetery.id, name="Schmi")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Anna Schmidt" in html and "B-04-12" in html
    assert f"/sections/{plot.section_id}/map?plot={plot.id}" in html
    assert "Bestattungen Ruhe" not in html  # no funeral home, no holder


def test_the_empty_form_and_a_chosen_cemetery_answer_200(client, tenant, cemetery):
    assert page(client, tenant).status_code == 200
    response = page(client, tenant, cemetery_id=cemetery.id)
    assert response.status_code == 200
    assert "Friedhof Musterhausen" in response.get_data(as_text=True)


def test_the_page_does_not_show_the_unconsented(client, tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt", public=False)
    response = page(client, tenant, cemetery_id=cemetery.id, name="Schmidt")
    assert response.status_code == 200
    assert "Anna Schmidt" not in response.get_data(as_text=True)
    assert "Keine Treffer" in response.get_data(as_text=True)


@pytest.mark.parametrize("args", [{"name": "a"}, {"name": "%"}, {"name": ""}, {}])
def test_too_short_a_name_shows_the_form_with_an_error(client, tenant, cemetery, args):
    response = page(client, tenant, cemetery_id=cemetery.id, **({"name": "a"} | args))
    assert response.status_code == 422
    assert "Mindestens zwei Buchstaben" in response.get_data(as_text=True)


@pytest.mark.parametrize("cemetery_id", ["", "abc", "-1", "1.5"])
def test_a_missing_or_malformed_cemetery_shows_the_form_with_an_error(
    client, tenant, cemetery, cemetery_id
):
    response = page(client, tenant, cemetery_id=cemetery_id, name="Schmidt")
    assert response.status_code == 422
    assert "Friedhof" in response.get_data(as_text=True)


@pytest.mark.parametrize("cemetery_id", ["999999", str(2**40)])
def test_an_unknown_cemetery_is_404(client, tenant, cemetery, cemetery_id):
    assert page(client, tenant, cemetery_id=cemetery_id, name="Schmidt").status_code == 404


def test_a_cemetery_of_another_tenant_is_404(
    client, tenant, make_tenant, make_cemetery, make_plot, bury
):
    other_tenant = make_tenant("anderswo")
    foreign = make_cemetery("Fremder Friedhof", of_tenant=other_tenant)
    bury(make_plot(foreign, "F-1"), "Anna Schmidt")
    assert page(client, tenant, cemetery_id=foreign.id, name="Schmidt").status_code == 404
    # and the right tenant finds it
    assert page(client, other_tenant, cemetery_id=foreign.id, name="Schmidt").status_code == 200


def test_a_two_letter_query_shows_at_most_the_cap_and_asks_to_refine(
    client, tenant, cemetery, make_plot, bury
):
    for n in range(search.DEFAULT_LIMIT + 3):
        bury(make_plot(cemetery, f"B-02-{n:03d}"), f"Maria Schmitt {n:03d}")
    response = page(client, tenant, cemetery_id=cemetery.id, name="sc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("Maria Schmitt") == search.DEFAULT_LIMIT
    assert "Bitte geben Sie mehr vom Namen ein" in html


def test_the_page_is_rate_limited_with_a_german_429(app, client, tenant, cemetery, monkeypatch):
    monkeypatch.setitem(app.config, "GRAVE_SEARCH_RATE_LIMIT", "3/minute")
    for _ in range(3):
        assert page(client, tenant, cemetery_id=cemetery.id, name="Schmidt").status_code == 200
    response = page(client, tenant, cemetery_id=cemetery.id, name="Schmidt")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Zu viele Anfragen" in html and "Bitte warten Sie eine Minute" in html


# --- the API --------------------------------------------------------------------------------


def api_search(client, tenant: Tenant, **args):
    return client.get(f"/{tenant.slug}/api/v1/grave-search", query_string=args)


def test_the_api_answers_exactly_the_documented_shape(client, tenant, cemetery, plot, bury):
    bury(plot, "Anna Schmidt")
    bury(plot, "Otto Schmidt", born=None, place=2)
    response = api_search(client, tenant, cemetery_id=cemetery.id, name="schmidt")  # no token
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {
                "name": "Anna Schmidt",
                "born": "1931-05-17",
                "died": "2020-03-01",
                "cemetery": "Friedhof Musterhausen",
                "section": "B",
                "plot_code": "B-04-12",
            },
            {
                "name": "Otto Schmidt",
                "born": None,
                "died": "2020-03-01",
                "cemetery": "Friedhof Musterhausen",
                "section": "B",
                "plot_code": "B-04-12",
            },
        ]
    }


def test_the_api_hides_the_unconsented_and_the_anonymous(
    client, tenant, cemetery, plot, make_plot, bury
):
    bury(plot, "Anna Schmidt", public=False)
    bury(make_plot(cemetery, "U-1", "urnenfeld_anonym", section="U"), "Bruno Schmidt", kind="urn")
    bury(plot, "Clara Schmidt", status="requested", place=2)
    response = api_search(client, tenant, cemetery_id=cemetery.id, name="Schmidt")
    assert response.get_json() == {"items": []}


def test_the_api_refuses_too_short_a_name_with_422(client, tenant, cemetery):
    response = api_search(client, tenant, cemetery_id=cemetery.id, name="a%")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation" and "name" in error["details"]["fields"]


@pytest.mark.parametrize(
    "args, field",
    [({"name": "Schmidt"}, "cemetery_id"), ({"cemetery_id": "x", "name": "ab"}, "cemetery_id")],
)
def test_the_api_refuses_malformed_parameters_with_400(client, tenant, cemetery, args, field):
    response = api_search(client, tenant, **args)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and field in error["details"]["fields"]


def test_the_api_without_a_name_is_400(client, tenant, cemetery):
    response = api_search(client, tenant, cemetery_id=cemetery.id)
    assert response.status_code == 400
    assert "name" in response.get_json()["error"]["details"]["fields"]


def test_the_api_answers_404_for_a_cemetery_of_another_tenant(
    client, tenant, make_tenant, make_cemetery
):
    foreign = make_cemetery("Fremder Friedhof", of_tenant=make_tenant("anderswo"))
    for cemetery_id in (foreign.id, 2**40):
        response = api_search(client, tenant, cemetery_id=cemetery_id, name="Schmidt")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_the_api_is_rate_limited(app, client, tenant, cemetery, monkeypatch):
    monkeypatch.setitem(app.config, "GRAVE_SEARCH_RATE_LIMIT", "2/minute")
    for _ in range(2):
        assert api_search(client, tenant, cemetery_id=cemetery.id, name="ab").status_code == 200
    response = api_search(client, tenant, cemetery_id=cemetery.id, name="ab")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
