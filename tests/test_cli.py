"""The command line of API.md: municipalities, users with roles, API tokens.
Bad input exits non-zero with a clear message and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.accounts import service as accounts
from booking.accounts.models import ApiToken, Membership, User
from booking.extensions import db
from booking.tenants.models import Tenant

PASSWORD = "ein-langes-passwort"


def count(model) -> int:
    """Rows committed: what a separate process would see after the command.
    (A failed command exits without committing; drop what it left pending.)"""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_tenants_create(runner):
    result = runner.invoke(
        args=["tenants", "create", "musterstadt", "--name", "Stadt Musterstadt", "--state", "by"]
    )
    assert result.exit_code == 0, result.output
    assert "musterstadt" in result.output
    tenant = db.session.scalar(select(Tenant))
    assert (tenant.slug, tenant.name, tenant.timezone, tenant.state) == (
        "musterstadt",
        "Stadt Musterstadt",
        "Europe/Berlin",
        "BY",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Muster Stadt", "--name", "X"], "Kürzel"),
        (["a", "--name", "X"], "Kürzel"),
        (["admin", "--name", "X"], "Kürzel"),
        (["musterstadt", "--name", "  "], "Name"),
        (["musterstadt", "--name", "X", "--timezone", "Mars/Olympus"], "Zeitzone"),
        (["musterstadt", "--name", "X", "--state", "XX"], "Bundesland"),
        (["musterstadt"], "--name"),
    ],
)
def test_tenants_create_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["tenants", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(Tenant) == 0


def test_tenants_create_refuses_a_taken_slug(runner, tenant):
    result = runner.invoke(args=["tenants", "create", tenant.slug, "--name", "Nochmal"])
    assert result.exit_code != 0
    assert "vergeben" in result.output
    assert count(Tenant) == 1


def test_users_create_with_roles_repeatable(runner, tenant, make_tenant):
    result = runner.invoke(
        args=["users", "create", "Anna@Example.org", "--password", PASSWORD, "--name", "Anna"]
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user("anna@example.org")
    assert user.email == "anna@example.org" and user.name == "Anna"
    assert user.email_confirmed_at is not None  # may sign in at once
    assert user.roles_in(tenant.id) == set()

    args = ["users", "create", "anna@example.org", "--password", PASSWORD, "--tenant", tenant.slug]
    result = runner.invoke(args=[*args, "--role", "admin", "--role", "clerk"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=[*args, "--role", "caretaker"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=[*args, "--role", "caretaker"])  # again: no duplicate
    assert result.exit_code == 0, result.output
    other = make_tenant("anderswo")
    other_args = ["users", "create", "anna@example.org", "--password", PASSWORD]
    runner.invoke(args=[*other_args, "--tenant", "anderswo", "--role", "funeral_home"])

    db.session.expire_all()
    assert count(User) == 1
    assert user.roles_in(tenant.id) == {"admin", "clerk", "caretaker"}
    assert user.roles_in(other.id) == {"funeral_home"}
    assert accounts.authenticate("anna@example.org", PASSWORD) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "kurz"], "Passwort ist zu kurz"),
        (["--password", PASSWORD, "--tenant", "nirgendwo", "--role", "admin"], "nirgendwo"),
        (["--password", PASSWORD, "--tenant", "musterhausen", "--role", "kaiser"], "kaiser"),
        (["--password", PASSWORD, "--tenant", "musterhausen"], "--role"),
        (["--password", PASSWORD, "--role", "admin"], "--tenant"),
        ([], "--password"),
    ],
)
def test_users_create_refuses_bad_input(runner, tenant, args, message):
    result = runner.invoke(args=["users", "create", "anna@example.org", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0
    assert count(Membership) == 0


def test_users_create_refuses_a_bad_address(runner):
    result = runner.invoke(args=["users", "create", "keine-adresse", "--password", PASSWORD])
    assert result.exit_code != 0
    assert "E-Mail-Adresse ist ungültig" in result.output
    assert count(User) == 0


def test_users_token_prints_a_working_token_last(runner, client, make_user, tenant):
    make_user("anna@example.org", tenant=tenant, roles=["clerk"])
    result = runner.invoke(args=["users", "token", "anna@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kb_")
    response = client.get(f"/{tenant.slug}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["clerk"]
    # Only the hash is stored.
    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.token_hash, stored.prefix)


def test_users_token_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "token", "niemand@example.org"])
    assert result.exit_code != 0
    assert "niemand@example.org" in result.output
    assert count(ApiToken) == 0
