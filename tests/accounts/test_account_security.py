"""Accounts that cannot be taken over: personal mail stays personal, reset
links work once, sessions and tokens end when they should, guessing is slowed
down without locking the owner out (security issue 6)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from booking.accounts import service
from booking.accounts.models import ApiToken
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import queue_mail
from tests.accounts.helpers import link_in, outbox_to
from tests.accounts.test_auth import NEW_PASSWORD, register, sign_in
from tests.conftest import PASSWORD

SECRET = "test-secret-key-not-for-production"


def reset_link(client, email: str) -> str:
    client.post("/account/forgot", data={"email": email})
    return link_in(outbox_to(email)[-1], "/account/reset/")


def set_new_password(client, link: str, password: str = NEW_PASSWORD):
    return client.post(link, data={"password": password, "password_confirm": password})


# --- personal mail belongs to no municipality's staff ----------------------------------------


def test_registering_at_b_with_a_admins_address_shows_b_nothing(
    client, login, make_user, make_tenant
):
    a, b = make_tenant("a-dorf"), make_tenant("b-stadt")
    victim = make_user("chefin@a-dorf.example", tenant=a, roles=["admin"])
    b_admin = make_user("admin@b-stadt.example", tenant=b, roles=["admin"])

    # The attacker registers at B with A's admin's address, and a new person signs up at B.
    assert register(client, email=victim.email, query=f"?tenant={b.slug}").status_code == 302
    assert register(client, email="neu@example.org", query=f"?tenant={b.slug}").status_code == 302

    (exists,) = outbox_to(victim.email)
    (confirm,) = outbox_to("neu@example.org")
    for message in (exists, confirm):
        assert message.personal and message.tenant_id is None
    # No reset link in it: a stranger's sign-up must not replace the owner's.
    assert "/account/reset/" not in exists.body_text
    assert "http://localhost/account/forgot" in exists.body_text

    login(b_admin)
    page = client.get(f"/{b.slug}/admin/outbox").get_data(as_text=True)
    for message in (exists, confirm):
        assert message.subject not in page
        assert message.to_address not in page
    assert "/account/reset/" not in page and "/account/confirm/" not in page
    assert "Der Postausgang ist leer" in page


def test_a_staff_outbox_masks_any_link_that_carries_a_token(client, login, make_user, tenant):
    queue_mail(
        "k1",
        "x@example.org",
        "Weitergeleitet",
        "Link: http://localhost/account/reset/eyJ1aWQiOjF9.geheim und ?token=abc123",
        tenant=tenant,
    )
    db.session.commit()
    login(make_user(tenant=tenant, roles=["admin"]))
    page = client.get(f"/{tenant.slug}/admin/outbox").get_data(as_text=True)
    assert "Weitergeleitet" in page
    assert "geheim" not in page and "abc123" not in page
    assert "/account/reset/[redacted]" in page


# --- reset links: once, for an hour, only the newest ---------------------------------------


def test_a_newer_reset_link_kills_the_older_one(client, make_user):
    user = make_user("anna@example.org")
    first = reset_link(client, user.email)
    second = reset_link(client, user.email)
    assert first != second
    assert client.get(first).status_code == 400
    assert set_new_password(client, first).status_code == 400
    assert set_new_password(client, second).status_code == 302
    assert service.authenticate(user.email, NEW_PASSWORD) is not None


def test_a_password_change_kills_a_pending_reset_link(client, login, make_user):
    user = make_user("anna@example.org")
    link = reset_link(client, user.email)
    login(user)
    response = client.post(
        "/account/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get(link).status_code == 400
    assert set_new_password(client, link, "noch-ein-passwort").status_code == 400
    assert service.authenticate(user.email, NEW_PASSWORD) is not None


class _HourOldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3601


def test_a_reset_link_expires_after_an_hour(client, make_user):
    user = make_user("anna@example.org")
    fresh = service.make_reset_token(SECRET, user)
    db.session.commit()
    payload = URLSafeTimedSerializer(SECRET, salt="reset-password").loads(fresh)
    old = URLSafeTimedSerializer(SECRET, salt="reset-password", signer=_HourOldSigner).dumps(
        payload
    )
    response = client.get(f"/account/reset/{old}")
    assert response.status_code == 400
    assert "abgelaufen" in response.get_data(as_text=True)
    assert client.get(f"/account/reset/{fresh}").status_code == 200


def test_reset_tokens_of_another_shape_are_refused(client, make_user):
    make_user("anna@example.org")
    for payload in ([1, 2], "text", {"uid": "x", "n": 5}, {"uid": 1}):
        token = URLSafeTimedSerializer(SECRET, salt="reset-password").dumps(payload)
        assert client.get(f"/account/reset/{token}").status_code == 400


# --- sessions end on sign-out, password change and reset -------------------------------------


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name, domain="localhost")
    return cookie.value if cookie else None


def test_a_copied_session_cookie_is_dead_after_logout(app, client, login, make_user):
    login(make_user())
    copy = app.test_client()
    copy.set_cookie("session", _cookie(client, "session"), domain="localhost")
    assert copy.get("/account/profile").status_code == 200

    client.post("/account/logout")
    assert copy.get("/account/profile").status_code == 302


def test_the_remember_me_cookie_dies_with_logout_and_lasts_a_month(app, client, make_user):
    user = make_user()
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_"))
    expires = re.search(r"Expires=([^;]+)", header).group(1)
    lifetime = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert lifetime - datetime.now(UTC) <= timedelta(days=30, minutes=1)

    remembered = app.test_client()
    remembered.set_cookie("remember_token", _cookie(client, "remember_token"), domain="localhost")
    assert remembered.get("/account/profile").status_code == 200  # the cookie alone signs in

    stale = app.test_client()
    stale.set_cookie("remember_token", _cookie(client, "remember_token"), domain="localhost")
    client.post("/account/logout")
    assert stale.get("/account/profile").status_code == 302


# --- API tokens die with the password ------------------------------------------------------------


def _tokens_working(user) -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
    )


def test_api_tokens_die_with_a_password_reset(client, make_user, tenant):
    user = make_user("anna@example.org")
    _token, plain = service.create_api_token(user, "Fachverfahren")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 200

    assert set_new_password(client, reset_link(client, user.email)).status_code == 302
    assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 401
    assert _tokens_working(user) == 0


def test_api_tokens_die_with_a_password_change(client, login, make_user, tenant):
    user = make_user()
    _token, plain = service.create_api_token(user, "Skript")
    db.session.commit()
    login(user)
    client.post(
        "/account/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-password_confirm": NEW_PASSWORD,
        },
    )
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 401


def test_revoke_all_tokens_on_the_profile(client, login, make_user):
    user, other = make_user(), make_user()
    for name in ("eins", "zwei"):
        service.create_api_token(user, name)
    service.create_api_token(other, "fremd")
    db.session.commit()
    login(user)
    assert "Alle Tokens widerrufen" in client.get("/account/profile").get_data(as_text=True)
    response = client.post("/account/tokens/revoke-all", follow_redirects=True)
    assert "2 Tokens sind widerrufen" in response.get_data(as_text=True)
    assert _tokens_working(user) == 0
    assert _tokens_working(other) == 1


# --- guessing is slowed per account and address, never a lock-out ------------------------------


def test_failed_logins_slow_down_one_account_from_one_address_only(client, make_user):
    user = make_user()
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for _n in range(5):
        assert (
            sign_in(client, user.email, "falsch-geraten", environ_base=attacker).status_code == 200
        )
    # That address now waits, even with the right password …
    assert sign_in(client, user.email, environ_base=attacker).status_code == 429
    # … the owner elsewhere signs in as ever.
    owner = {"REMOTE_ADDR": "198.51.100.7"}
    assert sign_in(client, user.email, environ_base=owner).status_code == 302


def test_guesses_from_many_addresses_do_not_lock_the_owner_out(client, make_user):
    user = make_user()
    for n in range(12):
        response = sign_in(
            client, user.email, "falsch-geraten", environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        )
        assert response.status_code == 200
    assert sign_in(client, user.email, environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 302


def test_successful_sign_ins_do_not_count_as_guesses(app, make_user):
    user = make_user()
    for _n in range(7):
        client = app.test_client()
        assert sign_in(client, user.email).status_code == 302


def test_forgot_password_is_slowed_per_address_not_for_the_owner(client, make_user):
    user = make_user("anna@example.org")
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for _n in range(5):
        response = client.post("/account/forgot", data={"email": user.email}, environ_base=stranger)
        assert response.status_code == 302
    assert (
        client.post(
            "/account/forgot", data={"email": user.email}, environ_base=stranger
        ).status_code
        == 429
    )
    sent = len(outbox_to(user.email))
    owner = {"REMOTE_ADDR": "198.51.100.7"}
    response = client.post("/account/forgot", data={"email": user.email}, environ_base=owner)
    assert response.status_code == 302
    assert len(outbox_to(user.email)) == sent + 1


# --- registration tells nothing by its timing -------------------------------------------------


def test_registration_hashes_once_for_a_new_and_for_a_known_address(client, make_user, monkeypatch):
    make_user("berta@example.org")
    calls: list[str] = []
    real = service.hash_password

    def counting(password: str) -> str:
        calls.append(password)
        return real(password)

    monkeypatch.setattr(service, "hash_password", counting)
    register(client, email="neu@example.org")
    new = len(calls)
    register(client, email="berta@example.org")
    assert new == len(calls) - new == 1


# --- operators confirm addresses while no SMTP server is set up ------------------------------


def test_users_confirm_cli(runner, make_user):
    user = make_user("offen@example.org", confirmed=False)
    result = runner.invoke(args=["users", "confirm", "OFFEN@example.org"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.email_confirmed_at is not None
    result = runner.invoke(args=["users", "confirm", "niemand@example.org"])
    assert result.exit_code != 0 and "No user" in result.output


@pytest.mark.parametrize("email", ["", "keine-adresse"])
def test_users_confirm_cli_refuses_nonsense(runner, email):
    result = runner.invoke(args=["users", "confirm", email])
    assert result.exit_code != 0


# --- confirmation: no account under a password a stranger chose -----------------------------


def test_a_confirmation_opened_elsewhere_sets_the_password_of_the_mailbox_owner(app, client):
    # A stranger registers someone else's address with a password of their own.
    register(client, email="opfer@example.org", password="passwort-des-angreifers")
    link = link_in(outbox_to("opfer@example.org")[0], "/account/confirm/")

    owner = app.test_client()  # the owner opens the mail in their own browser
    page = owner.get(link).get_data(as_text=True)
    assert 'name="password"' in page
    assert owner.post(link).status_code == 200  # no password: nothing confirmed
    assert service.find_user("opfer@example.org").email_confirmed_at is None
    response = owner.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert sign_in(client, "opfer@example.org", "passwort-des-angreifers").status_code == 200
    assert sign_in(owner, "opfer@example.org", NEW_PASSWORD).status_code == 302


def test_following_a_confirmation_link_confirms_nothing(client):
    register(client)
    link = link_in(outbox_to("berta@example.org")[0], "/account/confirm/")
    for _n in range(2):
        assert client.get(link).status_code == 200
    assert service.find_user("berta@example.org").email_confirmed_at is None


def test_the_registration_mark_in_the_session_is_the_same_for_known_addresses(app, make_user):
    make_user("bekannt@example.org")
    marks = []
    for email in ("bekannt@example.org", "neu@example.org"):
        client = app.test_client()
        register(client, email=email)
        with client.session_transaction() as session:
            marks.append(sorted(session.keys()))
    assert marks[0] == marks[1]


# --- pages take forms, not JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"email": "json@example.org", "name": "Max\u0000Rot", "password": PASSWORD},
        {"email": 5},
        "abc",
    ],
)
def test_pages_refuse_json_bodies(client, body):
    for path in ("/account/register", "/account/login", "/account/forgot"):
        response = client.post(path, json=body)
        assert response.status_code == 415
        assert "nur Formulare" in response.get_data(as_text=True)
    assert service.find_user("json@example.org") is None
    assert outbox_to("json@example.org") == []


def test_the_api_still_takes_json(api, make_user, tenant):
    response = api(make_user(), tenant).get("/me")
    assert response.status_code == 200


# --- "you already have an account" cannot flood an inbox --------------------------------------------


def test_sign_ups_with_a_known_address_mail_its_owner_three_times_a_day_at_most(app, make_user):
    make_user("berta@example.org")
    for n in range(6):
        client = app.test_client()
        response = register(client, environ_base={"REMOTE_ADDR": f"10.1.0.{n + 1}"})
        assert response.status_code == 302
    assert len(outbox_to("berta@example.org")) == 3


def test_forgot_for_an_unknown_address_leaves_no_mail_behind(client):
    client.post("/account/forgot", data={"email": "niemand@example.org"})
    client.post("/account/resend-confirmation", data={"email": "niemand@example.org"})
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage)).all() == []
