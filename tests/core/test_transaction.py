"""One transaction boundary per request, API call and CLI command: commit
once on success, roll back on a domain error; after-commit work runs only
after a commit."""

from __future__ import annotations

import click
import pytest
from flask import Blueprint, Flask, abort
from sqlalchemy import select

from booking import transaction
from booking.accounts.forms import EmailForm
from booking.core import ValidationFailed
from booking.extensions import db
from booking.forms import show_errors
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant
from tests.conftest import make_app

ran: list[str] = []


def tenants() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(Tenant.slug)))


def _routes() -> Blueprint:
    bp = Blueprint("tx_test", __name__)

    def write(slug: str) -> None:
        create_tenant(slug, "Probe")
        transaction.after_commit(lambda: ran.append(slug))

    @bp.post("/tx/ok/<slug>")
    def ok(slug):
        write(slug)
        return "ok"

    @bp.post("/tx/domain-error/<slug>")
    def domain_error(slug):
        write(slug)
        raise ValidationFailed("nein")

    @bp.post("/tx/http-error/<slug>")
    def http_error(slug):
        write(slug)
        abort(409)

    @bp.post("/tx/form-error/<slug>")
    def form_error(slug):
        write(slug)
        form = EmailForm(meta={"csrf": False})
        show_errors(form, ValidationFailed("nein", {"email": ["falsch"]}))
        return str(form.email.errors)  # 200, yet nothing is kept

    @bp.post("/tx/crash/<slug>")
    def crash(slug):
        write(slug)
        raise RuntimeError("kaputt")

    @bp.post("/tx/commit-fails/<slug>")
    def commit_fails(slug):
        write(slug)
        # Unflushed, so the unique slug breaks only at the commit.
        db.session.add(Tenant(slug=slug, name="Doppelt"))
        return "ok"

    return bp


@pytest.fixture
def tx_app(app: Flask):
    db.session.commit()
    other = make_app(app.config["DATABASE_URL"])
    other.register_blueprint(_routes())
    ran.clear()
    yield other
    with other.app_context():
        db.engine.dispose()


def _post(tx_app: Flask, path: str):
    with tx_app.test_client() as client:
        return client.post(path)


def test_a_successful_request_commits_once_and_then_runs_after_commit_work(tx_app):
    assert _post(tx_app, "/tx/ok/erfolg").status_code == 200
    assert ran == ["erfolg"]
    assert tenants() == ["erfolg"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tx/domain-error/", 422),
        ("/tx/http-error/", 409),
        ("/tx/form-error/", 200),
        ("/tx/crash/", 500),
        ("/tx/commit-fails/", 500),
    ],
)
def test_a_failed_request_keeps_nothing_and_runs_no_after_commit_work(tx_app, path, status):
    assert _post(tx_app, path + "fehler").status_code == status
    assert ran == []
    assert tenants() == []


def test_a_cli_command_is_one_unit_of_work(app: Flask, runner):
    group = transaction.CommandGroup("txprobe")

    @group.command("write")
    @click.argument("slug")
    @click.option("--fail", is_flag=True)
    def write(slug: str, fail: bool) -> None:
        create_tenant(slug, "Probe")
        transaction.after_commit(lambda: ran.append(slug))
        if fail:
            raise click.ClickException("nein")

    ran.clear()
    app.cli.add_command(group)
    try:
        assert runner.invoke(args=["txprobe", "write", "kaputt", "--fail"]).exit_code == 1
        assert tenants() == [] and ran == []
        assert runner.invoke(args=["txprobe", "write", "heil"]).exit_code == 0
        assert tenants() == ["heil"] and ran == ["heil"]
    finally:
        app.cli.commands.pop("txprobe")
