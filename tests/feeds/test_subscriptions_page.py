"""The "Kalender-Abonnements" page: only the feeds a person may hold are
offered and accepted; a new feed's address is shown once (in the POST's
answer, never in a cookie, never again); revoking is the owner's or an
admin's, and a revoked address answers 404 at once; no answer is cached."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.feeds import tokens
from booking.feeds.models import FeedToken
from tests.feeds.subscription_helpers import *  # noqa: F403  (the fixtures)
from tests.feeds.subscription_helpers import feed_count, tokens_in

PAGE = "/musterhausen/calendar-subscriptions/"


def offered(html: str) -> set[str]:
    select_html = html[html.index('name="what"') :]
    select_html = select_html[: select_html.index("</select>")]
    return set(re.findall(r'<option[^>]*value="([^"]+)"', select_html))


def create(client, what: str):
    return client.post(PAGE, data={"what": what})


def feed_path(plain: str) -> str:
    return f"/musterhausen/feeds/{plain}.ics"


def has_feed_endpoint(app) -> bool:
    return "feeds.feed" in app.view_functions


# --- who sees the page, what it offers ----------------------------------------------------


def test_signed_out_is_sent_to_the_login(client, tenant):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.post(PAGE, data={"what": "mine"}).status_code == 302
    assert feed_count() == 0


def test_citizen_is_offered_only_their_own_bookings(client, login, tenant, citizen, halls):
    login(citizen)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert offered(response.get_data(as_text=True)) == {"mine"}


def test_clerk_is_offered_the_tenant_and_every_hall(client, login, tenant, clerk, halls, cemetery):
    login(clerk)
    html = client.get(PAGE).get_data(as_text=True)
    dgh, part, other = halls
    assert offered(html) == {
        "mine",
        "tenant",
        f"resource:{dgh.id}",
        f"resource:{part.id}",
        f"resource:{other.id}",
        f"cemetery:{cemetery.id}",
    }
    assert "Dorfgemeinschaftshaus – Saal A" in html


def test_caretaker_is_offered_the_assigned_hall_its_parts_and_its_cemetery(
    client, login, tenant, caretaker, halls, cemetery, make_resource
):
    login(caretaker)
    dgh, part, _other = halls
    assert offered(client.get(PAGE).get_data(as_text=True)) == {
        "mine",
        "resource",  # all their halls in one feed
        f"resource:{dgh.id}",
        f"resource:{part.id}",
        f"cemetery:{cemetery.id}",
    }


def test_a_preselected_hall_is_selected_and_a_malformed_choice_is_a_400(
    client, login, tenant, clerk, halls
):
    login(clerk)
    dgh = halls[0]
    html = client.get(PAGE, query_string={"what": f"resource:{dgh.id}"}).get_data(as_text=True)
    assert re.search(rf'<option selected value="resource:{dgh.id}"', html), html
    assert client.get(PAGE, query_string={"what": "resource:x"}).status_code == 400
    # A well-formed one that is not offered preselects nothing.
    html = client.get(PAGE, query_string={"what": "resource:999"}).get_data(as_text=True)
    assert "<option selected" not in html


# --- creating: shown once -------------------------------------------------------------------


def test_caretaker_creates_a_hall_feed_shown_once(app, client, login, tenant, caretaker, halls):
    login(caretaker)
    dgh = halls[0]
    response = create(client, f"resource:{dgh.id}")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    found = set(tokens_in(html))
    assert len(found) == 1, found
    plain = found.pop()
    assert f'value="http://localhost/musterhausen/feeds/{plain}.ics"' in html
    assert f'value="webcal://localhost/musterhausen/feeds/{plain}.ics"' in html
    assert f'href="webcal://localhost/musterhausen/feeds/{plain}.ics"' in html
    # The QR code: an inline SVG image with a name, no external file.
    assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*class="qr-code"', html)
    for app_name in ("Google Kalender", "Outlook", "Apple Kalender", "Thunderbird"):
        assert app_name in html
    assert "Per URL" in html
    # Stored hashed, as the owner's feed of that hall.
    feed = db.session.scalar(select(FeedToken))
    assert (feed.user_id, feed.scope, feed.resource_id) == (caretaker.id, "resource", dgh.id)
    assert feed.token_hash == tokens.token_hash(plain) and plain not in feed.token_hash
    assert tokens.feed_for_token(tenant, plain) == feed
    # Not in any cookie (the session cookie is signed, not encrypted) …
    for cookie in response.headers.getlist("Set-Cookie"):
        assert plain not in cookie
    # … and never shown again: the list names the feed, not its address.
    again = client.get(PAGE)
    text = again.get_data(as_text=True)
    assert again.headers["Cache-Control"] == "no-store"
    assert plain not in text and "/feeds/" not in text
    assert "Buchungen und Sperrzeiten von Dorfgemeinschaftshaus" in text


def test_the_address_is_built_from_base_url(app, client, login, tenant, citizen, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://buchung.example.de/portal")
    login(citizen)
    html = create(client, "mine").get_data(as_text=True)
    (plain,) = set(tokens_in(html))
    assert f'value="https://buchung.example.de/portal/musterhausen/feeds/{plain}.ics"' in html
    assert f'value="webcal://buchung.example.de/portal/musterhausen/feeds/{plain}.ics"' in html


def test_the_new_address_is_not_logged(app, client, login, tenant, citizen, caplog):
    login(citizen)
    with caplog.at_level("DEBUG"):
        html = create(client, "mine").get_data(as_text=True)
    (plain,) = set(tokens_in(html))
    assert plain not in caplog.text


@pytest.mark.parametrize(
    ("who", "what"),
    [
        ("citizen", "tenant"),
        ("citizen", "resource:{dgh}"),
        ("citizen", "cemetery:{cemetery}"),
        ("caretaker", "tenant"),
        ("caretaker", "resource:{other}"),
    ],
)
def test_a_feed_not_offered_is_refused_with_403(
    client, login, tenant, citizen, caretaker, halls, cemetery, who, what
):
    login({"citizen": citizen, "caretaker": caretaker}[who])
    dgh, _part, other = halls
    value = what.format(dgh=dgh.id, other=other.id, cemetery=cemetery.id)
    response = create(client, value)
    assert response.status_code == 403
    assert "/feeds/" not in response.get_data(as_text=True)
    assert feed_count() == 0


def test_another_tenants_hall_or_cemetery_is_404(
    client, login, tenant, clerk, foreign_hall, foreign_cemetery
):
    login(clerk)
    assert create(client, f"resource:{foreign_hall.id}").status_code == 404
    assert create(client, f"cemetery:{foreign_cemetery.id}").status_code == 404
    assert feed_count() == 0


def test_a_hidden_resource_is_404_for_a_citizen(client, login, tenant, citizen, make_resource):
    internal = make_resource("Bauhof", public=False)
    login(citizen)
    assert create(client, f"resource:{internal.id}").status_code == 404
    assert feed_count() == 0


@pytest.mark.parametrize(
    "value",
    [
        "",
        "resource:",
        "resource:abc",
        "resource:0",
        "alles",
        "mine:1",
        "mine\n",
        "x" * 500,
    ],
)
def test_a_malformed_choice_is_a_422_on_the_form(client, login, tenant, clerk, halls, value):
    login(clerk)
    response = create(client, value)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'aria-invalid="true"' in html
    assert feed_count() == 0


def test_an_id_past_any_key_is_404(client, login, tenant, clerk):
    login(clerk)
    assert create(client, "resource:9999999999").status_code == 404
    assert feed_count() == 0


def test_a_json_body_is_refused(client, login, tenant, citizen):
    login(citizen)
    assert client.post(PAGE, json={"what": "mine"}).status_code == 415
    assert feed_count() == 0


# --- the list, revoking ---------------------------------------------------------------------


def _feed_of(tenant, user, scope="mine", **objects):
    feed, plain = tokens.create_feed(tenant, user, scope, now=_now(), **objects)
    db.session.commit()
    return feed, plain


def _now():
    from booking.core import utcnow

    return utcnow()


def test_owner_revokes_after_a_confirmation(app, client, login, tenant, citizen):
    feed, plain = _feed_of(tenant, citizen)
    login(citizen)
    page = client.get(PAGE).get_data(as_text=True)
    confirm_url = f"{PAGE}{feed.id}/revoke"
    assert f'href="{confirm_url}"' in page
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    assert confirm.headers["Cache-Control"] == "no-store"
    assert "Ja, Abonnement beenden" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FeedToken, feed.id).revoked_at is None  # GET changes nothing
    response = client.post(confirm_url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FeedToken, feed.id).revoked_at is not None
    assert tokens.feed_for_token(tenant, plain) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Das Abonnement ist beendet" in page
    assert f'href="{confirm_url}"' not in page
    # Gone for good: a second revocation finds nothing.
    assert client.post(confirm_url).status_code == 404
    assert client.get(confirm_url).status_code == 404


def test_a_revoked_address_answers_404_at_once(app, client, login, tenant, citizen):
    if not has_feed_endpoint(app):
        pytest.skip("the feed endpoint (feeds.feed) has not landed yet")
    feed, plain = _feed_of(tenant, citizen)
    assert client.get(feed_path(plain)).status_code == 200
    login(citizen)
    assert client.post(f"{PAGE}{feed.id}/revoke").status_code == 302
    client.post("/account/logout")
    assert client.get(feed_path(plain)).status_code == 404


def test_nobody_else_may_revoke(client, login, tenant, citizen, other_citizen, clerk):
    feed, _plain = _feed_of(tenant, citizen)
    for intruder in (other_citizen, clerk):
        client.post("/account/logout")
        login(intruder)
        assert client.get(f"{PAGE}{feed.id}/revoke").status_code == 404
        assert client.post(f"{PAGE}{feed.id}/revoke").status_code == 404
        assert f"{feed.id}/revoke" not in client.get(PAGE).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FeedToken, feed.id).revoked_at is None


def test_another_tenants_admin_gets_404(client, login, tenant, citizen, other_tenant, make_user):
    feed, _plain = _feed_of(tenant, citizen)
    foreign_admin = make_user("admin@andersdorf.example", tenant=other_tenant, roles=("admin",))
    login(foreign_admin)
    for path in (f"{PAGE}{feed.id}/revoke", f"/andersdorf/calendar-subscriptions/{feed.id}/revoke"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert "Otto" not in client.get("/andersdorf/calendar-subscriptions/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FeedToken, feed.id).revoked_at is None


def test_admin_lists_and_revokes_everyones_feeds(
    client, login, tenant, admin, caretaker, halls, other_tenant, make_user
):
    mine, _ = _feed_of(tenant, caretaker, "resource", resource=halls[0])
    stranger = make_user("fremd@example.org", tenant=other_tenant, roles=("admin",), name="Fritz")
    _feed_of(other_tenant, stranger)
    login(admin)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Abonnements anderer Personen in der Gemeinde" in html
    assert "Hans Haus" in html and "Fritz" not in html
    assert "/feeds/" not in html
    assert client.get(f"{PAGE}{mine.id}/revoke").status_code == 200
    assert client.post(f"{PAGE}{mine.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(FeedToken, mine.id).revoked_at is not None


def test_a_clerk_sees_no_one_elses_feeds(client, login, tenant, clerk, caretaker, halls):
    _feed_of(tenant, caretaker, "resource", resource=halls[0])
    login(clerk)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Hans Haus" not in html
    assert "Abonnements anderer Personen" not in html


def test_a_feed_whose_owner_lost_the_role_ends(client, login, tenant, caretaker, halls):
    _feed_of(tenant, caretaker, "resource", resource=halls[0])
    login(caretaker)
    assert "Buchungen und Sperrzeiten von" in client.get(PAGE).get_data(as_text=True)
    accounts.revoke_role(tenant, None, caretaker, "caretaker")
    db.session.commit()
    (feed,) = db.session.scalars(select(FeedToken)).all()
    assert feed.revoked_at is not None  # for good: a new role later does not revive it
    assert "Buchungen und Sperrzeiten von" not in client.get(PAGE).get_data(as_text=True)


# --- links where people look for them ----------------------------------------------------


def test_hall_page_links_to_its_feed_for_staff_and_its_caretaker(
    client, login, tenant, clerk, caretaker, citizen, halls
):
    dgh, _part, other = halls
    link = f"{PAGE}?what=resource:{dgh.id}"
    assert link not in client.get(f"/musterhausen/halls/{dgh.id}").get_data(as_text=True)
    for user, sees in ((citizen, False), (caretaker, True), (clerk, True)):
        client.post("/account/logout")
        login(user)
        html = client.get(f"/musterhausen/halls/{dgh.id}").get_data(as_text=True)
        assert (link in html) is sees, user.email
    client.post("/account/logout")
    login(caretaker)
    html = client.get(f"/musterhausen/halls/{other.id}").get_data(as_text=True)
    assert "calendar-subscriptions" not in html.split("<main", 1)[1]


def test_caretaker_page_my_bookings_and_the_menu_link_to_the_page(client, login, tenant, caretaker):
    login(caretaker)
    html = client.get("/musterhausen/caretaker/").get_data(as_text=True)
    main = html.split("<main", 1)[1]
    assert f'href="{PAGE}?what=resource"' in main  # their halls, preselected
    html = client.get(f"{PAGE}?what=resource").get_data(as_text=True)
    assert '<option selected value="resource">' in html
    mine = client.get("/musterhausen/bookings/mine").get_data(as_text=True)
    assert f'href="{PAGE}?what=mine"' in mine.split("<main", 1)[1]
    assert "Kalender-Abos" in mine.split("<main", 1)[0]


# --- CSRF (the suite's app has it off; this one has it on) ---------------------------------


def test_creating_and_revoking_need_the_csrf_token(csrf_app):
    from booking.tenants.service import create_tenant

    tenant = create_tenant("musterhausen", "Musterhausen")
    user = accounts.create_user("csrf@example.org", "korrekt-pferd-batterie", confirmed=True)
    db.session.commit()
    feed, plain = _feed_of(tenant, user)
    client = csrf_app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/account/login",
        data={"email": user.email, "password": "korrekt-pferd-batterie", "csrf_token": token},
    )
    assert response.status_code == 302
    assert create(client, "mine").status_code == 400
    assert client.post(f"{PAGE}{feed.id}/revoke").status_code == 400
    assert feed_count() == 1
    assert tokens.feed_for_token(tenant, plain) is not None
