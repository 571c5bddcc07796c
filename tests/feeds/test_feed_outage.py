"""The database connection lost in the middle of a feed request (PostgreSQL
restarted, a backend terminated): the answer is the 503 of an unreachable
database, never a 500 — also when the connection goes during the optional
write of the cache row, which is otherwise given up quietly when busy."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

from booking.extensions import db
from tests.feeds.feed_helpers import book, soon, subscribe


@pytest.fixture
def terminate_before(app):
    """``terminate_before("INSERT INTO feed_cache")``: the first statement
    containing the text has its backend terminated by another connection
    just before it runs (as a restart of PostgreSQL would)."""
    url = db.engine.url
    killer = create_engine(url)
    armed: dict[str, str] = {}

    def before(conn, _cursor, statement, _params, _context, _many):
        marker = armed.get("marker")
        if marker and marker in statement:
            armed.clear()
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()

    event.listen(db.engine, "before_cursor_execute", before)

    def arm(marker: str) -> None:
        armed["marker"] = marker

    yield arm
    event.remove(db.engine, "before_cursor_execute", before)
    killer.dispose()


@pytest.mark.postgres_only
def test_connection_lost_at_the_cache_write_is_503(
    client, tenant, clerk, citizen, hall, terminate_before
):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    db.session.commit()
    terminate_before("INSERT INTO feed_cache")
    response = client.get(path)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    # The pool pre-pings: the next poll is answered (and renders) normally.
    assert client.get(path).status_code == 200


@pytest.mark.postgres_only
def test_connection_lost_at_the_version_query_is_503(
    client, tenant, clerk, citizen, hall, terminate_before
):
    path = subscribe(tenant, clerk, "resource", resource=hall)
    db.session.commit()
    terminate_before("FROM occurrence")
    response = client.get(path)
    assert response.status_code == 503
    assert client.get(path).status_code == 200
