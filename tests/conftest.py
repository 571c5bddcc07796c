"""Fixtures: the app on every configured database, a client, a CLI runner and
factories. Every test that uses ``app`` starts from empty tables.

Databases: SQLite always; PostgreSQL too when ``TEST_DATABASE_URL`` is set
(``make test`` sets it to a scratch database when a local server answers,
``tools/scratch_db.py``). Under ``CI=true`` a missing PostgreSQL is an
error, not a skip. The run's last line says which parts ran (SQLite,
PostgreSQL, browser, no database) and which were skipped, and why."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text

from booking import create_app
from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.extensions import db, limiter
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose
from booking.resources import service as resources
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant
from tests import smtp
from tests.times import workday

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "korrekt-pferd-batterie"


def database_params() -> list:
    if TEST_DATABASE_URL:
        return ["sqlite", "postgresql"]
    if CI:
        raise pytest.UsageError("CI=true needs TEST_DATABASE_URL (PostgreSQL); see README.")
    skip = pytest.mark.skip(
        reason="PostgreSQL not configured: start a server on 127.0.0.1:5432 and run "
        "`make test` (it creates a scratch database), or set "
        "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
    )
    return ["sqlite", pytest.param("postgresql", marks=skip)]


# --- the last line: which parts ran -------------------------------------------------

PARTS = ("SQLite", "PostgreSQL", "browser", "no database")
_part_of: dict[str, str] = {}
_outcomes: dict[str, Counter] = {part: Counter() for part in PARTS}
_skip_reasons: dict[str, Counter] = {part: Counter() for part in PARTS}


def _part(item: pytest.Item) -> str:
    if item.nodeid.startswith("tests/e2e/"):
        return "browser"
    callspec = getattr(item, "callspec", None)
    database = callspec.params.get("database") if callspec is not None else None
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(database, "no database")


def pytest_collection_finish(session: pytest.Session) -> None:
    _part_of.update((item.nodeid, _part(item)) for item in session.items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    part = _part_of.get(report.nodeid)
    if part is None:
        return
    if report.skipped and report.when in ("setup", "call"):
        _outcomes[part]["skipped"] += 1
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skip_reasons[part][reason.removeprefix("Skipped: ")] += 1
    elif report.when == "call":
        _outcomes[part][report.outcome] += 1
    elif report.failed:
        _outcomes[part]["error"] += 1


def parts_line() -> str:
    """``ran: SQLite 1,390 passed, PostgreSQL 1,400 passed … · skipped: …``."""
    ran, skipped = [], []
    for part in PARTS:
        counts = _outcomes[part]
        done = ", ".join(
            f"{counts[outcome]:,} {outcome}"
            for outcome in ("passed", "failed", "error")
            if counts[outcome]
        )
        if done:
            ran.append(f"{part} {done}")
        if counts["skipped"]:
            reason, _n = _skip_reasons[part].most_common(1)[0]
            skipped.append(f"{part} {counts['skipped']:,} ({reason})")
    return f"parts ran: {'; '.join(ran) or 'none'} · skipped: {'; '.join(skipped) or 'none'}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _part_of and not config.option.collectonly:
        print(parts_line(), flush=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        params = database_params()
        if metafunc.definition.get_closest_marker("postgres_only"):
            params = params[1:]  # PostgreSQL-specific: runs once, on PostgreSQL
        metafunc.parametrize("database", params, indirect=True, scope="session")


@pytest.fixture(scope="session")
def database(request) -> str:
    return request.param


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str, **overrides) -> Flask:
    config = {
        "ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": "localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Cheap hashes keep the suite fast; production keeps the defaults.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        # A GET view that writes without @transaction.writes fails its test.
        "SQLITE_STRICT_READS": True,
    }
    if url.startswith("postgresql"):
        # The race tests run 16 threads with a connection each; the default
        # pool (5 + 10) would make one of them wait for a connection instead
        # of racing (and time out on a loaded machine).
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": 10,
            "max_overflow": 20,
        }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def _app(database: str, tmp_path_factory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        url = TEST_DATABASE_URL
        _reset_postgres(url)
    app = make_app(url)
    request_started.connect(_fresh_g, app)
    with app.app_context():
        upgrade()  # the real migrations, not create_all
        db.engine.dispose()
    yield app
    with app.app_context():
        db.engine.dispose()


def _fresh_g(sender, **_extra) -> None:
    """Tests keep one app context around their requests (so the test and the
    request share the database session); give every request an empty ``g``
    as it has in production (Flask-Login and Flask-Babel cache there)."""
    for name in list(g):
        g.pop(name)


def clean_database() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    limiter.reset()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    with _app.app_context():
        clean_database()
        yield _app
        every_queued_mail_composes()
        db.session.remove()


def every_queued_mail_composes() -> None:
    """What a test queued and left uncomposed must compose: ``mail.deliver``
    would only mark a mail it cannot write as failed, so a broken template
    or a context that does not come back would go unnoticed by a test that
    never reads its mail. Composes and rolls back (the outbox stays as the
    test left it); a mail that fails raises here."""
    db.session.rollback()
    pending = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == "queued", OutboxMessage.body_text.is_(None)
        )
    ).all()
    for message in pending:
        compose(message)
    db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_tenant(app: Flask) -> Callable[..., Tenant]:
    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, **kwargs) -> Tenant:
        tenant = create_tenant(
            slug or f"gemeinde-{next(counter)}", kwargs.pop("name", "Gemeinde"), **kwargs
        )
        db.session.commit()
        return tenant

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant("musterhausen", name="Gemeinde Musterhausen")


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, tenant: Tenant | None = None, roles=(), **kwargs) -> User:
        user = accounts.create_user(
            email or f"person{next(counter)}@example.org",
            kwargs.pop("password", PASSWORD),
            confirmed=kwargs.pop("confirmed", True),
            **kwargs,
        )
        for role in roles:
            accounts.grant_role(tenant, None, user, role)
        db.session.commit()
        return user

    return make


@pytest.fixture
def admin(tenant: Tenant, make_user) -> User:
    return make_user("admin@example.org", tenant=tenant, roles=("admin",), name="Anna Admin")


@pytest.fixture
def clerk(tenant: Tenant, make_user) -> User:
    return make_user("clerk@example.org", tenant=tenant, roles=("clerk",), name="Sven Clerk")


@pytest.fixture
def citizen(make_user) -> User:
    return make_user("citizen@example.org", name="Carla Citizen")


@pytest.fixture
def other_citizen(make_user) -> User:
    return make_user("other@example.org", name="Otto Other")


def _minutes(clock: str) -> int:
    hours, minutes = (int(part) for part in clock.split(":"))
    return hours * 60 + minutes


@pytest.fixture
def make_resource(tenant: Tenant) -> Callable[..., Resource]:
    """``make_resource(name=None, kind="hall", *, parent=None, hours=None,
    of_tenant=None, **fields)`` through the resources service (as the system),
    committed. ``fields``: any of ``resources.service.FIELDS``; ``hours``:
    ``{weekday: ("08:00", "22:00")}`` (none: open around the clock)."""
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        kind: str = "hall",
        *,
        parent: Resource | None = None,
        hours: dict[int, tuple[str, str]] | None = None,
        of_tenant: Tenant | None = None,
        **fields,
    ) -> Resource:
        owner = of_tenant or tenant
        if parent is not None:
            fields["parent_id"] = parent.id
        resource = resources.create_resource(
            owner, None, name=name or f"Raum {next(counter)}", kind=kind, **fields
        )
        if hours:
            rows = [
                (day, _minutes(opens), _minutes(closes)) for day, (opens, closes) in hours.items()
            ]
            resources.set_opening_hours(owner, None, resource, rows)
        db.session.commit()
        return resource

    return make


@pytest.fixture
def hall_with_halves(make_resource) -> tuple[Resource, Resource, Resource]:
    """A hall (120 places) with halves Saal A and Saal B (60 each):
    ``(whole, a, b)``."""
    whole = make_resource("Dorfgemeinschaftshaus", capacity=120)
    a = make_resource("Saal A", "room", parent=whole, capacity=60)
    b = make_resource("Saal B", "room", parent=whole, capacity=60)
    return whole, a, b


@pytest.fixture
def day() -> date:
    """A Wednesday some weeks ahead, no holiday."""
    return workday()


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Iterator[list[str]]]:
    """``with count_queries() as statements:`` collects the SQL run inside."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], None]:
    """Sign a user in through the real login form."""

    def do_login(user: User, password: str = PASSWORD) -> None:
        response = client.post("/account/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    return do_login


@pytest.fixture
def api(app: Flask, client: FlaskClient):
    """``api(user)`` returns a small client that sends that user's bearer token."""

    class Api:
        def __init__(self, user: User, tenant_slug: str):
            _token, self.token = accounts.create_api_token(user, "test")
            db.session.commit()
            self.base = f"/{tenant_slug}/api/v1"

        def _call(self, method: str, path: str, json=None, **kwargs):
            headers = {"Authorization": f"Bearer {self.token}"}
            return client.open(
                self.base + path, method=method, json=json, headers=headers, **kwargs
            )

        def get(self, path, **kw):
            return self._call("GET", path, **kw)

        def post(self, path, json=None, **kw):
            return self._call("POST", path, json=json, **kw)

        def delete(self, path, **kw):
            return self._call("DELETE", path, **kw)

    def make(user: User, tenant: Tenant) -> Api:
        return Api(user, tenant.slug)

    return make


@pytest.fixture
def smtp_server() -> Iterator[tuple[smtp.Recorder, int]]:
    recorder = smtp.Recorder()
    port = smtp.free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.fixture
def mail_config(app, smtp_server):
    """The app's settings pointed at the test SMTP server."""
    _recorder, port = smtp_server
    return {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}


@pytest.fixture
def csrf_app(tmp_path):
    """An app of its own with CSRF protection on (the suite's has it off),
    on a scratch SQLite file: for the tests that a form refuses a POST
    without its token."""
    from flask_migrate import upgrade

    app = make_app(f"sqlite:///{tmp_path / 'csrf.sqlite'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()
