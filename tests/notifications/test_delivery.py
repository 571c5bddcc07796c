"""Delivering the outbox to a real SMTP server (aiosmtpd): what arrives, and
what happens when the server is busy, refuses or is down."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking.accounts import service as accounts
from booking.core import utcnow
from booking.extensions import db
from booking.notifications import delivery
from booking.notifications.models import OutboxMessage
from booking.notifications.service import attachment_maker, notify, queue_mail
from tests.smtp import free_port

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


@attachment_maker("tests.termin")
def termin(**_context):
    return "termin.ics", "text/calendar; method=PUBLISH", ICS


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_mail_arrives_with_both_parts_the_attachment_and_plain_headers(
    app, tenant, make_user, mail_config, smtp_server
):
    recorder, _port = smtp_server
    tenant.mail_sender_name = "Gemeinde Musterhausen – Hallen"
    tenant.contact_email = "hallen@musterhausen.example"
    invited = make_user("max@example.org", name="Max")
    organisation_inviter = make_user(name="Vera")
    organisation = accounts.create_organisation(tenant, organisation_inviter, name="TSV")
    invitation = accounts.invite_member(organisation, organisation_inviter, invited.email)
    notify(
        "organisation_invitation",
        invited.email,
        tenant,
        key="k1",
        attachment="tests.termin",
        invitation=invitation,
        inviter=organisation_inviter,
    )
    db.session.commit()

    counts = delivery.deliver(utcnow(), mail_config)
    assert counts == {"composed": 1, "sent": 1, "retry": 0, "failed": 0}
    (mail,) = recorder.received
    assert mail["To"] == "max@example.org"
    assert mail["From"].addresses[0].display_name == "Gemeinde Musterhausen – Hallen"
    assert mail["From"].addresses[0].addr_spec == "noreply@localhost"
    assert mail["Reply-To"] == "hallen@musterhausen.example"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].endswith("@localhost>")
    assert "List-Unsubscribe" not in mail
    assert mail["Subject"] == "Einladung: TSV"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Vera lädt Sie ein" in text and "Gemeinde Musterhausen" in text
    assert '<a href="http://localhost/musterhausen/organisations/"' in html
    assert "hallen@musterhausen.example" in html
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "termin.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_content().encode() == ICS or attachment.get_content() == ICS
    (stored,) = outbox()
    assert stored.key == "k1" and stored.status == "sent" and stored.sent_at is not None
    assert stored.context is None  # composed: what it was made from is not kept


def test_a_busy_server_is_tried_again_later_with_growing_waits(
    app, tenant, mail_config, smtp_server
):
    recorder, _port = smtp_server
    recorder.busy = 2
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    now = utcnow()

    assert delivery.deliver(now, mail_config)["retry"] == 1
    (message,) = outbox()
    assert message.status == "queued" and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert "451" in message.last_error
    # Not due yet: nothing is tried.
    assert delivery.deliver(now + timedelta(seconds=30), mail_config)["retry"] == 0
    assert outbox()[0].attempts == 1

    later = now + timedelta(minutes=1)
    delivery.deliver(later, mail_config)
    assert outbox()[0].next_attempt_at == later + timedelta(minutes=2)
    delivery.deliver(later + timedelta(minutes=2), mail_config)
    (message,) = outbox()
    assert message.status == "sent" and message.attempts == 3 and message.last_error is None
    assert len(recorder.received) == 1


def test_a_server_that_is_down_loses_nothing(app, tenant, mail_config, smtp_server):
    recorder, _port = smtp_server
    for n in range(3):
        queue_mail(f"k{n}", f"p{n}@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    down = {**mail_config, "MAIL_PORT": free_port()}
    now = utcnow()
    counts = delivery.deliver(now, down)
    assert counts == {
        "composed": 0,
        "sent": 0,
        "retry": 1,
        "failed": 0,
    }  # one try, then wait for the server
    assert [m.status for m in outbox()] == ["queued"] * 3
    assert "ConnectionRefusedError" in outbox()[0].last_error

    counts = delivery.deliver(now + timedelta(minutes=1), mail_config)
    assert counts["sent"] == 3
    assert sorted(m["To"] for m in recorder.received) == [f"p{n}@example.org" for n in range(3)]


def test_a_permanent_refusal_is_not_retried_and_others_still_go(
    app, tenant, mail_config, smtp_server
):
    recorder, _port = smtp_server
    recorder.refused = {"weg@example.org"}
    queue_mail("k1", "weg@example.org", "Betreff", "Text", tenant=tenant)
    queue_mail("k2", "da@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    assert delivery.deliver(utcnow(), mail_config) == {
        "composed": 0,
        "sent": 1,
        "retry": 0,
        "failed": 1,
    }
    refused, sent = outbox()
    assert refused.status == "failed" and "550" in refused.last_error and refused.attempts == 1
    assert sent.status == "sent"
    assert delivery.deliver(utcnow() + timedelta(days=1), mail_config)["failed"] == 0


def test_after_the_last_attempt_a_mail_is_failed(app, tenant, mail_config, smtp_server):
    recorder, _port = smtp_server
    recorder.busy = 100
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    config = {**mail_config, "MAIL_MAX_ATTEMPTS": 3}
    now = utcnow()
    for hour in range(3):
        delivery.deliver(now + timedelta(hours=hour), config)
    (message,) = outbox()
    assert message.status == "failed" and message.attempts == 3
    delivery.send_again(message)
    db.session.commit()
    recorder.busy = 0
    assert delivery.deliver(now + timedelta(hours=3), config)["sent"] == 1


def test_without_smtp_settings_mail_waits_in_the_outbox(app, tenant):
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    assert delivery.deliver(utcnow(), {**app.config, "MAIL_SERVER": ""})["sent"] == 0
    assert outbox()[0].status == "queued" and outbox()[0].attempts == 0


def test_without_smtp_settings_queued_mail_is_composed_for_the_outbox(app, tenant, make_user):
    accounts.send_reset("s" * 32, make_user("anna@example.org"))
    db.session.commit()
    counts = delivery.deliver(utcnow(), {**app.config, "MAIL_SERVER": ""})
    assert counts == {"composed": 1, "sent": 0, "retry": 0, "failed": 0}
    (message,) = outbox()
    assert message.composed and "/account/reset/" in message.body_text
    assert message.status == "queued" and message.attempts == 0


def test_delivering_twice_sends_once(app, tenant, mail_config, smtp_server):
    recorder, _port = smtp_server
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    for _n in range(3):
        delivery.deliver(utcnow(), mail_config)
    assert len(recorder.received) == 1


def test_personal_mail_is_delivered_too(app, make_user, mail_config, smtp_server):
    recorder, _port = smtp_server
    accounts.send_reset("s" * 32, make_user("anna@example.org"))
    db.session.commit()
    assert delivery.deliver(utcnow(), mail_config)["sent"] == 1
    (mail,) = recorder.received
    assert "/account/reset/" in mail.get_body(("plain",)).get_content()


def test_a_mail_that_cannot_be_built_fails_alone(
    app, tenant, make_tenant, mail_config, smtp_server
):
    recorder, _port = smtp_server
    broken = make_tenant("kaputt")
    broken.mail_sender_name = "Zeile\nBcc: x@example.org"  # only possible around the service
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=broken)
    queue_mail("k2", "b@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    assert delivery.deliver(utcnow(), mail_config) == {
        "composed": 0,
        "sent": 1,
        "retry": 0,
        "failed": 1,
    }
    assert [m["To"] for m in recorder.received] == ["b@example.org"]
