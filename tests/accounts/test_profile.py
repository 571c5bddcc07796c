"""The profile: name and language, password change, API tokens."""

from __future__ import annotations

import re

from booking.accounts import service
from booking.accounts.models import ApiToken
from booking.extensions import db
from tests.conftest import PASSWORD

NEW_PASSWORD = "ein-ganz-neues-passwort"


def create_token(client, name="Kassenautomat"):
    response = client.post("/account/tokens", data={"token-token_name": name})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = re.search(r'<code class="token">(kb_[^<]+)</code>', page)
    assert match, page
    return match.group(1), response


def test_profile_needs_login(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_profile_shows_account_and_roles(client, login, make_user, tenant):
    user = make_user("anna@example.org", tenant=tenant, roles=["clerk"])
    login(user)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "anna@example.org" in page
    assert "Gemeinde Musterhausen" in page and "Sachbearbeitung" in page


def test_name_and_language_change_persists(client, login, make_user, tenant):
    user = make_user()
    login(user)
    response = client.post("/account/profile", data={"name": "Anna Neu", "locale": "en"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Anna Neu", "en")
    assert '<html lang="en">' in client.get(f"/{tenant.slug}/").get_data(as_text=True)

    # After signing out and in again, still English: it is stored on the account.
    client.post("/account/logout")
    other = client.application.test_client()
    other.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert '<html lang="en">' in other.get(f"/{tenant.slug}/").get_data(as_text=True)

    client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    client.post("/account/profile", data={"name": "Anna Neu", "locale": "de"})
    assert '<html lang="de">' in client.get(f"/{tenant.slug}/").get_data(as_text=True)


def test_unknown_language_and_empty_name_are_refused(client, login, make_user):
    user = make_user(name="Anna")
    login(user)
    response = client.post("/account/profile", data={"name": "", "locale": "xx"})
    assert response.status_code == 200
    assert "error-summary" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Anna", None)


def test_password_change_needs_the_current_password(client, login, make_user):
    user = make_user()
    login(user)
    response = client.post(
        "/account/profile/password",
        data={
            "pw-current_password": "falsch-falsch",
            "pw-password": NEW_PASSWORD,
            "pw-password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Das aktuelle Passwort stimmt nicht" in response.get_data(as_text=True)
    assert service.authenticate(user.email, PASSWORD) is not None


def test_password_change_keeps_this_session_and_ends_others(app, client, login, make_user):
    user = make_user()
    login(user)
    other = app.test_client()
    other.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert other.get("/account/profile").status_code == 200

    response = client.post(
        "/account/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert other.get("/account/profile").status_code == 302
    assert service.authenticate(user.email, NEW_PASSWORD) is not None


def test_a_token_is_shown_once_listed_by_prefix_and_works(client, login, make_user, tenant):
    user = make_user()
    login(user)
    plain, response = create_token(client)
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get("/account/profile").get_data(as_text=True)
    assert plain not in page
    assert "Kassenautomat" in page and plain[:10] in page
    assert "noch nie" in page

    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 200
    assert "noch nie" not in client.get("/account/profile").get_data(as_text=True)


def test_a_revoked_token_gets_401(client, login, make_user, tenant):
    user = make_user()
    login(user)
    plain, _response = create_token(client)
    token = db.session.scalars(db.select(ApiToken)).one()
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert "Kassenautomat" not in client.get("/account/profile").get_data(as_text=True)
    response = client.get(f"/{tenant.slug}/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_nobody_revokes_someone_elses_token(client, login, make_user, tenant):
    owner = make_user()
    token, _plain = service.create_api_token(owner, "privat")
    db.session.commit()
    login(make_user())
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_a_token_needs_a_name(client, login, make_user):
    login(make_user())
    response = client.post("/account/tokens", data={"token-token_name": ""})
    assert response.status_code == 200
    assert "kb_" not in response.get_data(as_text=True).split("<main")[1].split("</main>")[0]
    assert db.session.scalars(db.select(ApiToken)).all() == []
