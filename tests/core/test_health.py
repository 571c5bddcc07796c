"""``/healthz`` and the 503 answers while the database cannot be reached."""

from __future__ import annotations

from sqlalchemy import text

from booking.extensions import db
from tests.conftest import make_app

# Nothing listens on port 1: every connection attempt is refused at once.
DEAD_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2"


def test_healthz_reports_database_and_migrations(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["migrations"] == "current"
    assert body["revision"] == body["expected"]
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_migrations_are_pending(app, client):
    (current,) = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        response = client.get("/healthz")
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    assert response.status_code == 503
    body = response.get_json()
    assert body["migrations"] == "pending"
    assert body["revision"] == ["0001"]


def test_without_database_pages_and_api_answer_503_not_500():
    app = make_app(DEAD_DATABASE)
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {
        "status": "unavailable",
        "database": "unreachable",
        "migrations": "unknown",
    }
    page = client.get("/musterhausen/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Vorübergehend nicht erreichbar" in html
    assert "Traceback" not in html
    api = client.get("/musterhausen/api/v1/resources", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
    login = client.post("/account/login", data={"email": "a@example.org", "password": "x"})
    assert login.status_code == 503
