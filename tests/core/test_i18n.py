"""German first, English switchable; Babel formats dates and money."""

from datetime import UTC, datetime

from flask_babel import refresh

from booking.web import money


def test_money_is_formatted_for_the_request_locale(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert money(123450) == "1.234,50\xa0€"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert money(123450) == "€1,234.50"


def test_instants_are_shown_in_the_tenant_time_zone(app, tenant):
    render = app.jinja_env.from_string("{{ when|datetime('short') }}")
    summer = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)  # 18:00 in Berlin (CEST)
    with app.test_request_context(f"/{tenant.slug}/", headers={"Accept-Language": "de"}):
        app.preprocess_request()
        assert render.render(when=summer) == "01.07.27, 18:00"


def test_visitors_get_german_by_default_and_english_when_their_browser_asks(client, tenant):
    page = client.get(f"/{tenant.slug}/").get_data(as_text=True)
    assert '<html lang="de">' in page
    page = client.get(f"/{tenant.slug}/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_the_language_switch_sticks_for_the_session(client, tenant):
    response = client.post("/lang", data={"lang": "en", "next": f"/{tenant.slug}/"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/{tenant.slug}/")
    assert '<html lang="en">' in client.get(f"/{tenant.slug}/").get_data(as_text=True)
    client.post("/lang", data={"lang": "de"})
    assert '<html lang="de">' in client.get(f"/{tenant.slug}/").get_data(as_text=True)


def test_the_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    response = client.post("/lang", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)


def test_unknown_tenant_is_a_404_page_and_json_under_the_api(client):
    assert client.get("/no-such-town/").status_code == 404
    response = client.get("/no-such-town/api/v1/me")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_ids_past_32_bits_are_not_found_not_a_database_error(client, tenant):
    assert client.get(f"/{tenant.slug}/cemeteries/{10**15}").status_code == 404


def test_favicon_and_health(client):
    assert client.get("/favicon.ico").status_code == 301
    assert client.get("/health").get_json() == {"status": "ok"}


def test_times_in_rule_messages_are_formatted_by_babel_in_the_tenant_zone(app, tenant):
    from booking.tenants.localtime import format_local

    instant = datetime(2027, 3, 6, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert format_local(tenant, instant) == "06.03.27, 18:00"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert format_local(tenant, instant).replace("\u202f", " ") == "3/6/27, 6:00 PM"
