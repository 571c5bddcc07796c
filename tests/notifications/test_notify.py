"""``notify``: the one way mail is composed (template, language, links, key)."""

from __future__ import annotations

from sqlalchemy import func, select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import notify, numbered_key
from tests.outbox import composed_mail


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_mail_is_written_in_the_recipients_language(app, make_user, tenant):
    user = make_user(locale="en", name="Erin")
    accounts.send_confirmation("s" * 32, user, tenant)
    (message,) = composed_mail()
    assert message.subject == "Please confirm your email address"
    assert message.body_text.startswith("Hello Erin,")
    assert tenant.name in message.body_text


def test_links_use_base_url_whatever_host_the_request_came_to(app, client, make_user):
    user = make_user("anna@example.org")
    client.post("/account/forgot", data={"email": user.email}, headers={"Host": "evil.example"})
    (message,) = composed_mail()
    assert "http://localhost/account/reset/" in message.body_text
    assert "evil.example" not in message.body_text


def test_mail_is_composed_without_any_request(app, make_user, tenant):
    """Jobs and the CLI have no request: links still point at BASE_URL."""
    user = make_user()
    accounts.send_reset("s" * 32, user)
    (message,) = composed_mail()
    assert "http://localhost/account/reset/" in message.body_text


def test_a_key_is_queued_once(app, make_user, tenant):
    user = make_user()
    for _ in range(2):
        notify("account_confirm", user.email, tenant, key="k", user=user, token="t")
    assert outbox_count() == 1
    assert numbered_key("k") == "k:1"


def test_account_kinds_are_personal_and_belong_to_no_tenant(app, make_user, tenant):
    user = make_user()
    notify("account_confirm", user.email, tenant, key="k", user=user, token="t")
    (message,) = composed_mail()
    assert message.personal and message.tenant_id is None
