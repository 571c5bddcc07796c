import logging

from booking.logs import RedactSecrets, redact


def test_tokens_in_urls_are_redacted():
    line = '127.0.0.1 - - "GET /account/confirm/abc.DEF-123 HTTP/1.1" 302 -'
    assert redact(line) == '127.0.0.1 - - "GET /account/confirm/[redacted] HTTP/1.1" 302 -'
    assert "s3cret" not in redact("GET /musterhausen/feeds/s3cret.ics HTTP/1.1")
    assert "s3cret" not in redact("GET /x/busy.ics?token=s3cret&a=1")
    assert redact("GET /musterhausen/halls/3 HTTP/1.1") == "GET /musterhausen/halls/3 HTTP/1.1"
    # Doubled slashes (werkzeug redirects them, and logs the first request).
    assert "tok123" not in redact("GET /account//reset/tok123 HTTP/1.1")
    assert "tok123" not in redact("GET /account/confirm//tok123 HTTP/1.1")


def test_the_filter_rewrites_access_log_records():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /account/reset/tok123 HTTP/1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "tok123" not in record.getMessage()


def test_the_app_installs_the_filter_on_the_access_loggers(app):
    assert any(isinstance(f, RedactSecrets) for f in logging.getLogger("werkzeug").filters)
