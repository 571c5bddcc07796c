"""DSGVO for the outbox: sent mail past the municipality's retention period
(personal mail past ``PERSONAL_MAIL_DAYS``) loses its content; the row and
its key stay, so the mail is never queued again."""

from __future__ import annotations

from datetime import timedelta

from booking.core import utcnow
from booking.extensions import db
from booking.jobs import registry
from booking.jobs.runner import run_job
from booking.notifications.models import OutboxMessage
from booking.notifications.retention import CLEARED, PERSONAL_MAIL_DAYS, clear_sent_mail
from booking.notifications.service import queue_mail

CONTENT = ("to_address", "subject", "body_text", "body_html", "attachment_data")


def _mail(key, tenant=None, *, status="sent", days_ago=0, personal=False):
    message = queue_mail(
        key,
        "carla@example.org",
        "Buchung bestätigt: Geburtstag Carla",
        "Hallo Carla, …",
        tenant=tenant,
        personal=personal,
        body_html="<p>Hallo Carla</p>",
        attachment=("buchung.ics", "text/calendar", b"BEGIN:VCALENDAR"),
    )
    message.status = status
    message.sent_at = utcnow() - timedelta(days=days_ago) if status == "sent" else None
    db.session.flush()
    return message.id


def _cleared(message_id) -> bool:
    message = db.session.get(OutboxMessage, message_id)
    if message.body_text != CLEARED:
        assert message.attachment_data is not None and "Carla" in message.body_text
        return False
    assert message.to_address == message.subject == CLEARED
    assert message.body_html is None and message.attachment_data is None
    assert message.attachment_name is None
    return True


def test_sent_mail_past_the_retention_period_loses_its_content(app, make_tenant):
    short, long = make_tenant(), make_tenant()
    short.retention_months, long.retention_months = 1, 24
    old = _mail("old", short, days_ago=40)
    recent = _mail("recent", short, days_ago=20)
    queued = _mail("queued", short, status="queued")
    failed = _mail("failed", short, status="failed")
    kept_longer = _mail("other", long, days_ago=40)
    personal_old = _mail("account:old", days_ago=PERSONAL_MAIL_DAYS + 1, personal=True)
    personal_new = _mail("account:new", days_ago=PERSONAL_MAIL_DAYS - 1, personal=True)
    db.session.commit()

    assert clear_sent_mail(utcnow()) == {"cleared": 2}
    db.session.commit()

    assert _cleared(old) and _cleared(personal_old)
    for kept in (recent, queued, failed, kept_longer, personal_new):
        assert not _cleared(kept)
    # Once: a second run clears nothing more.
    assert clear_sent_mail(utcnow()) == {"cleared": 0}


def test_a_cleared_mail_is_not_queued_again(app, tenant):
    tenant.retention_months = 1
    old = _mail("reminder:1", tenant, days_ago=40)
    clear_sent_mail(utcnow())
    again = queue_mail("reminder:1", "carla@example.org", "Erinnerung", "Text", tenant=tenant)
    assert again.id == old and again.status == "sent" and again.body_text == CLEARED


def test_the_job_runs_and_records_its_count(app, tenant):
    tenant.retention_months = 1
    _mail("old", tenant, days_ago=40)
    db.session.commit()
    record = run_job(registry.get("retention.mail"))
    assert record.outcome == "ok" and record.counts == {"cleared": 1}
