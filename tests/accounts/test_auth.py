"""Registration, e-mail confirmation, sign-in, sign-out and password reset."""

from __future__ import annotations

from sqlalchemy import func, select

from booking.accounts import service
from booking.accounts.models import User
from booking.extensions import db
from tests.accounts.helpers import link_in, outbox_to
from tests.conftest import PASSWORD

NEW_PASSWORD = "ein-ganz-neues-passwort"


def register(client, email="berta@example.org", password=PASSWORD, confirm=None, query="", **kw):
    return client.post(
        "/account/register" + query,
        data={
            "email": email,
            "name": "Berta Bürger",
            "password": password,
            "password_confirm": confirm if confirm is not None else password,
            "tenant": query.removeprefix("?tenant=") if query else "",
        },
        **kw,
    )


def sign_in(client, email, password=PASSWORD, **kw):
    return client.post("/account/login", data={"email": email, "password": password}, **kw)


def users_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_queues_a_mail_whose_link_confirms_and_then_login_works(client, tenant):
    page = client.get(f"/account/register?tenant={tenant.slug}").get_data(as_text=True)
    assert f'name="tenant" type="hidden" value="{tenant.slug}"' in page

    response = register(client, query=f"?tenant={tenant.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login")

    (message,) = outbox_to("berta@example.org")
    # Personal: no municipality's outbox shows it, though it names where she came from.
    assert message.personal and message.tenant_id is None
    assert tenant.name in message.body_text
    assert message.key.startswith(f"confirm:{service.find_user('berta@example.org').id}:")
    link = link_in(message, "/account/confirm/")

    # Not confirmed yet: the login is refused with an offer to resend.
    page = sign_in(client, "berta@example.org").get_data(as_text=True)
    assert "bestätigen Sie zuerst Ihre E-Mail-Adresse" in page
    assert 'action="/account/resend-confirmation"' in page
    assert client.get("/account/profile").status_code == 302

    # Opened in the browser that registered: one click, and a POST (a mail
    # scanner that follows the link confirms nothing).
    page = client.get(link).get_data(as_text=True)
    assert "Adresse bestätigen" in page and 'name="password"' not in page
    assert service.find_user("berta@example.org").email_confirmed_at is None
    response = client.post(link)
    assert response.status_code == 302
    assert "ist bestätigt" in client.get("/account/login").get_data(as_text=True)

    assert sign_in(client, "berta@example.org").status_code == 302
    assert "berta@example.org" in client.get("/account/profile").get_data(as_text=True)


def test_registration_without_tenant_queues_a_mail_without_tenant(client):
    register(client)
    (message,) = outbox_to("berta@example.org")
    assert message.tenant_id is None
    assert message.body_text.count("http://localhost/account/confirm/") == 1


def test_registration_rejects_bad_input_and_writes_nothing(client):
    cases = [
        ({"password": "kurz"}, "Mindestens 10 Zeichen"),
        ({"confirm": "etwas-ganz-anderes"}, "stimmen nicht überein"),
        ({"email": "keine-adresse"}, "gültige E-Mail-Adresse"),
    ]
    for change, message in cases:
        response = register(client, **change)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert users_count() == 0
    assert outbox_to("berta@example.org") == []


def test_registering_a_known_address_answers_the_same_and_mails_the_owner(client, make_user):
    owner = make_user("berta@example.org", name="Berta")
    new = register(client, email="neu@example.org")
    known = register(client, email="Berta@Example.org", password="ein-anderes-passwort")
    assert known.status_code == new.status_code == 302
    assert known.headers["Location"] == new.headers["Location"]
    assert users_count() == 2
    (message,) = outbox_to("berta@example.org")
    assert message.key.startswith(f"exists:{owner.id}:")
    assert "http://localhost/account/forgot\n" in message.body_text
    # The password of the existing account is untouched.
    assert service.authenticate("berta@example.org", PASSWORD) is not None


def test_a_broken_confirmation_link_is_refused_with_a_resend_form(client):
    response = client.get("/account/confirm/nonsense")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "ungültig" in page
    assert 'action="/account/resend-confirmation"' in page


def test_resend_confirmation_queues_a_second_mail_and_says_the_same_for_anyone(client, make_user):
    make_user("offen@example.org", confirmed=False)
    make_user("fertig@example.org")
    answers = [
        client.post("/account/resend-confirmation", data={"email": email}, follow_redirects=True)
        for email in ("offen@example.org", "fertig@example.org", "niemand@example.org")
    ]
    assert len({a.get_data(as_text=True) for a in answers}) == 1
    client.post("/account/resend-confirmation", data={"email": "offen@example.org"})
    keys = [m.key for m in outbox_to("offen@example.org")]
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1", "2"]
    assert outbox_to("fertig@example.org") == []


def test_wrong_password_and_unknown_address_are_refused_alike(client, make_user):
    make_user("anna@example.org")
    wrong = sign_in(client, "anna@example.org", "falsches-passwort")
    unknown = sign_in(client, "niemand@example.org", "falsches-passwort")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "E-Mail-Adresse oder Passwort ist falsch" in response.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302


def test_an_unconfirmed_account_with_a_wrong_password_does_not_learn_it_is_unconfirmed(
    client, make_user
):
    make_user("offen@example.org", confirmed=False)
    page = sign_in(client, "offen@example.org", "falsches-passwort").get_data(as_text=True)
    assert "E-Mail-Adresse oder Passwort ist falsch" in page
    assert "bestätigen" not in page


def test_deactivated_accounts_cannot_sign_in(client, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    assert sign_in(client, user.email).status_code == 200


def test_login_goes_to_a_safe_next_page(client, make_user, tenant):
    user = make_user()
    response = sign_in(client, user.email, query_string={"next": f"/{tenant.slug}/"})
    assert response.headers["Location"] == f"/{tenant.slug}/"


def test_protected_pages_send_to_login_and_back(client, make_user, tenant):
    user = make_user()
    response = client.get(f"/{tenant.slug}/organisations/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/account/login?next=")
    response = client.post(login_url, data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/{tenant.slug}/organisations/"


def test_logout_needs_post_and_ends_the_session(client, login, make_user):
    login(make_user())
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_forgot_answers_the_same_whether_or_not_the_address_exists(client, make_user):
    make_user("anna@example.org")
    known = client.post("/account/forgot", data={"email": "anna@example.org"})
    unknown = client.post("/account/forgot", data={"email": "niemand@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox_to("anna@example.org")) == 1
    assert outbox_to("niemand@example.org") == []


def test_password_reset_sets_the_password_and_the_link_dies_after_use(client, make_user):
    user = make_user("anna@example.org")
    client.post("/account/forgot", data={"email": "anna@example.org"})
    (message,) = outbox_to("anna@example.org")
    assert message.key == f"reset:{user.id}:1"
    link = link_in(message, "/account/reset/")

    assert client.get(link).status_code == 200
    # Mismatch and short passwords change nothing; the link keeps working.
    response = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": "x"})
    assert "stimmen nicht überein" in response.get_data(as_text=True)
    response = client.post(link, data={"password": "kurz", "password_confirm": "kurz"})
    assert "Mindestens 10 Zeichen" in response.get_data(as_text=True)
    assert service.authenticate("anna@example.org", PASSWORD) is not None

    response = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert sign_in(client, "anna@example.org").status_code == 200  # old password refused
    assert sign_in(client, "anna@example.org", NEW_PASSWORD).status_code == 302

    # Used once: the same link is dead now.
    assert client.get(link).status_code == 400
    response = client.post(
        link, data={"password": "noch-ein-passwort", "password_confirm": "noch-ein-passwort"}
    )
    assert response.status_code == 400
    assert service.authenticate("anna@example.org", NEW_PASSWORD) is not None


def test_a_reset_link_confirms_an_unconfirmed_address(client, make_user):
    make_user("offen@example.org", confirmed=False)
    client.post("/account/forgot", data={"email": "offen@example.org"})
    link = link_in(outbox_to("offen@example.org")[0], "/account/reset/")
    client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert sign_in(client, "offen@example.org", NEW_PASSWORD).status_code == 302


def test_a_password_reset_signs_out_other_sessions(app, client, login, make_user):
    user = make_user()
    login(user)
    other = app.test_client()
    other.post("/account/forgot", data={"email": user.email})
    link = link_in(outbox_to(user.email)[0], "/account/reset/")
    other.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert client.get("/account/profile").status_code == 302
