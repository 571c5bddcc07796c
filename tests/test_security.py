"""Security settings that every page relies on: CSRF, cookies, headers, safe
redirects, session protection, rate limits, production configuration."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask

from booking.accounts import service as accounts
from booking.extensions import db
from config.settings import ConfigError
from tests.conftest import PASSWORD, make_app

REAL_SECRET = "x" * 48


@contextmanager
def other_app(app: Flask, **overrides) -> Iterator[Flask]:
    """A second app on the same test database with different settings. The
    test's own session ends its transaction first (SQLite: it holds the write
    lock), so touch no ORM objects inside the block."""
    db.session.commit()
    other = make_app(app.config["DATABASE_URL"], **overrides)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


# --- CSRF --------------------------------------------------------------------


def test_forms_without_csrf_token_are_refused(app, make_user, tenant):
    user = make_user("anna@example.org", tenant=tenant, roles=["admin"])
    email, slug = user.email, tenant.slug
    with other_app(app, WTF_CSRF_ENABLED=True) as csrf_app:
        client = csrf_app.test_client()
        response = client.post("/account/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 400
        assert "Formular ist abgelaufen" in response.get_data(as_text=True)

        token = csrf_token_of(client.get("/account/login").get_data(as_text=True))
        response = client.post(
            "/account/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302

        # Signed in, a forged grant from another site fails as well …
        response = client.post(f"/{slug}/admin/roles", data={"email": email, "role": "clerk"})
        assert response.status_code == 400
        # … and so does a sign-out.
        assert client.post("/account/logout").status_code == 400
        assert client.get("/account/profile").status_code == 200
    db.session.expire_all()
    assert user.roles_in(tenant.id) == {"admin"}


def test_the_api_needs_no_csrf_token(app, make_user, tenant):
    user = make_user()
    _token, plain = accounts.create_api_token(user, "x")
    slug = tenant.slug
    with other_app(app, WTF_CSRF_ENABLED=True) as csrf_app:
        response = csrf_app.test_client().post(
            f"/{slug}/api/v1/resources",
            json={"name": "Halle", "kind": "hall"},
            headers={"Authorization": f"Bearer {plain}"},
        )
        assert response.status_code == 403  # reached the view: no CSRF error


# --- cookies and headers -------------------------------------------------------------


def cookie_header(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    for name in ("session", "remember_token"):
        header = cookie_header(response, name)
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Secure" not in header  # BASE_URL is http:// in the tests


def test_cookies_are_secure_when_base_url_is_https(app, make_user):
    email = make_user().email
    with other_app(app, BASE_URL="https://buchung.example.de") as https_app:
        assert https_app.config["SESSION_COOKIE_SECURE"] is True
        client = https_app.test_client()
        response = client.post(
            "/account/login",
            data={"email": email, "password": PASSWORD, "remember": "y"},
            base_url="https://localhost",
        )
        assert response.status_code == 302
        for name in ("session", "remember_token"):
            assert "Secure" in cookie_header(response, name)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/", "/account/login", "/no-such-page", "/x/api/v1/me"])
def test_security_headers_on_every_answer(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_account_and_admin_pages_have_no_inline_script_or_style(client, login, make_user, tenant):
    admin = make_user(tenant=tenant, roles=["admin"])
    org = accounts.create_organisation(tenant, admin, name="TSV")
    db.session.commit()
    pages = ["/account/login", "/account/register", "/account/forgot"]
    for path in pages:
        assert_no_inline_code(client.get(path).get_data(as_text=True), path)
    login(admin)
    pages = [
        "/account/profile",
        f"/{tenant.slug}/organisations/",
        f"/{tenant.slug}/organisations/new",
        f"/{tenant.slug}/organisations/{org.id}",
        f"/{tenant.slug}/admin/",
        f"/{tenant.slug}/admin/roles",
        f"/{tenant.slug}/admin/outbox",
        f"/{tenant.slug}/admin/audit",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.get_data(as_text=True), path)


def assert_no_inline_code(page: str, path: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
    assert " style=" not in page and "<style" not in page, path
    assert not re.search(r"\son[a-z]+=", page), path  # no onclick= etc.


# --- redirects and sessions -----------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/account/login",
        "/\\evil.com",
        "\\\\evil.com",
        "/\tevil.com",
        "javascript:alert(1)",
        "///evil.com",
        "",
    ],
)
def test_unsafe_next_targets_are_not_followed(client, make_user, target):
    user = make_user()
    response = client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_a_session_from_another_address_is_no_longer_fresh(client, make_user):
    """Session protection "basic": a phone changing networks stays signed in,
    but the session stops being fresh (Flask-Login's marker for re-auth)."""
    user = make_user()
    client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert (
        client.get("/account/profile", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    )
    with client.session_transaction() as session:
        assert session["_fresh"] is True
    response = client.get(
        "/account/profile",
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
        headers={"User-Agent": "Other/1.0"},
    )
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert session["_fresh"] is False


def test_passwords_are_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2")


# --- rate limits --------------------------------------------------------------------------


def test_login_is_limited_per_address(client, make_user):
    user = make_user()
    for n in range(10):  # (no password: refused by the form, no slow hashing)
        response = client.post("/account/login", data={"email": f"x{n}@example.org"})
        assert response.status_code == 200
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Zu viele Anfragen" in page and "<html" in page
    assert "Retry-After" in response.headers
    # The form itself can still be shown.
    assert client.get("/account/login").status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/register", {"email": "a@example.org"}),
        ("/account/forgot", {"email": "a@example.org"}),
    ],
)
def test_register_and_forgot_are_limited_to_five_a_minute(client, path, data):
    for n in range(5):
        response = client.post(path, data={**data, "email": f"a{n}@example.org"})
        assert response.status_code in (200, 302)
    assert client.post(path, data=data).status_code == 429


def test_the_api_answers_429_as_json(client, tenant, make_user):
    """600 calls a minute per token (failed guesses are limited sooner, per
    address: tests/api/test_base.py)."""
    _token, plain = accounts.create_api_token(make_user(), "x")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    for _ in range(600):
        assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 200
    response = client.get(f"/{tenant.slug}/api/v1/me", headers=headers)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response.headers


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "too-short"])
def test_production_refuses_a_missing_or_short_secret_key(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app("sqlite://", ENV="production", SECRET_KEY=secret)


def test_without_a_secret_key_every_process_signs_with_a_random_key():
    """No public fallback key: a cookie forged with a key from the source
    code (or from another process) signs nobody in."""
    first, second = make_app("sqlite://", SECRET_KEY=""), make_app("sqlite://", SECRET_KEY="")
    assert first.config["SECRET_KEY_GENERATED"]
    assert len(first.secret_key) == 64
    assert first.secret_key != second.secret_key
    assert "dev-only-not-secret" not in (first.secret_key, second.secret_key)


def test_production_starts_with_a_real_secret_key_and_default_hash_cost():
    app = make_app(
        "sqlite://",
        ENV="production",
        SECRET_KEY=REAL_SECRET,
        ARGON2_TIME_COST=3,
        ARGON2_MEMORY_COST=65536,
    )
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_refuses_a_weak_password_hash_cost():
    with pytest.raises(ConfigError, match="ARGON2_MEMORY_COST"):
        make_app("sqlite://", ENV="production", SECRET_KEY=REAL_SECRET)
