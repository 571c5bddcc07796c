"""Texts from the translation review: plural forms, the login prompt, status labels."""

from flask_babel import refresh

from booking.reservations.labels import status_label


def test_the_login_prompt_is_translated_for_anonymous_visitors(client, tenant):
    german = client.get(f"/{tenant.slug}/bookings/mine", follow_redirects=True)
    assert "Bitte melden Sie sich an, um diese Seite zu sehen." in german.get_data(as_text=True)
    english = client.get(
        f"/{tenant.slug}/bookings/mine",
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Please sign in to see this page." in english.get_data(as_text=True)


def test_numbers_get_the_plural_form_that_fits(app):
    render = app.jinja_env.from_string(
        '{{ ngettext("%(num)s Platz", "%(num)s Plätze", n) }}'
    ).render
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert (render(n=1), render(n=30)) == ("1 Platz", "30 Plätze")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert (render(n=1), render(n=30)) == ("1 seat", "30 seats")


def test_status_labels_are_translated_not_raw_codes(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert status_label("requested") == "angefragt"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert status_label("requested") == "requested"
        assert status_label("confirmed") == "confirmed"
        render = app.jinja_env.from_string('{{ pgettext("outbox status", "Fehler") }}').render
        assert render() == "Failed"
