import pytest
from flask import request

from config.settings import ConfigError, load, validate
from tests.conftest import make_app


def test_postgres_urls_use_psycopg3():
    assert (
        load({"DATABASE_URL": "postgres://u@h/db"})["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"BASE_URL": "ftp://x"}, "BASE_URL"),
        ({"PROXY_FIX": -1}, "PROXY_FIX"),
        ({"SERIES_MAX_OCCURRENCES": 0}, "SERIES_MAX_OCCURRENCES"),
        ({"GRAVE_SEARCH_RATE_LIMIT": "dreissig"}, "GRAVE_SEARCH_RATE_LIMIT"),
        ({"ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_invalid_settings_stop_the_start(override, message):
    with pytest.raises(ConfigError, match=message):
        validate(load(override))


def test_proxy_fix_trusts_exactly_the_configured_proxy_hops(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    seen = []
    for hops in (0, 1):
        app = make_app(url, PROXY_FIX=hops)
        app.add_url_rule("/_ip", "ip", lambda: request.remote_addr or "")
        response = app.test_client().get(
            "/_ip",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        seen.append(response.get_data(as_text=True))
    assert seen == ["10.0.0.1", "203.0.113.9"]
