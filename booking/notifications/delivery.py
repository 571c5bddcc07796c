"""Delivering the outbox by SMTP: queued mail is composed first (also
without SMTP settings, for the admins' outbox), then sent one message per
transaction (a crash never loses a "sent" mark for more than the message
being sent), with exponential back-off for temporary failures and no retry
for a permanent refusal (5xx)."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select

from booking import transaction
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose_pending
from booking.tenants.models import Tenant

MAX_BACKOFF = timedelta(hours=6)
BATCH = 200  # at most this many mails per run; the next run goes on


def smtp_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("MAIL_SERVER"))


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4 … minutes, at most 6 h."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def build_message(message: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    """The mail as it goes out: plain transactional headers, the text and
    (where there is one) the HTML part, the attachment."""
    tenant = db.session.get(Tenant, message.tenant_id) if message.tenant_id else None
    default_name, address = parseaddr(config["MAIL_DEFAULT_SENDER"])
    sender_name = (tenant and (tenant.mail_sender_name or tenant.name)) or default_name
    domain = urlsplit(config["BASE_URL"]).hostname or "localhost"
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, address))
    mail["To"] = message.to_address
    if tenant is not None and tenant.contact_email:
        mail["Reply-To"] = tenant.contact_email
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(message.body_text)
    if message.body_html:
        mail.add_alternative(message.body_html, subtype="html")
    if message.attachment_data is not None:
        maintype, _slash, subtype = (
            message.attachment_type or "application/octet-stream"
        ).partition("/")
        subtype, _semi, params = subtype.partition(";")
        mail.add_attachment(
            message.attachment_data,
            maintype=maintype,
            subtype=subtype.strip(),
            filename=message.attachment_name or "anhang",
            params=dict(part.strip().split("=", 1) for part in params.split(";") if "=" in part),
        )
    return mail


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    smtp: smtplib.SMTP
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


def _next_due(now: datetime) -> OutboxMessage | None:
    """The oldest mail due for an attempt, locked against a second deliverer
    (PostgreSQL skips rows another one holds; SQLite runs one writer anyway)."""
    return db.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "queued",
            OutboxMessage.body_text.is_not(None),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _permanent(error: Exception) -> bool:
    """A refusal that will not change by trying again (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    """What an admin sees: the server's answer, never our credentials."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"{error.smtp_code} {text}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg!r}" for code, msg in error.recipients.values())[:500]
    return f"{type(error).__name__}: {error}"[:500]


def deliver(now: datetime, config: Mapping[str, Any]) -> dict[str, int]:
    """Compose what is queued, then send what is due, one committed message
    at a time. Without SMTP settings nothing is sent: the mail waits in the
    outbox, composed."""
    composing = compose_pending(now)
    counts = {
        "composed": composing["composed"],
        "sent": 0,
        "retry": 0,
        "failed": composing["failed"],
    }
    if not smtp_configured(config):
        return counts
    smtp: smtplib.SMTP | None = None
    try:
        for _n in range(BATCH):
            message = _next_due(now)
            if message is None:
                break
            message.attempts += 1
            try:
                mail = build_message(message, config)
            except ValueError as error:  # a header no mail may carry: never sendable
                message.status, message.last_error = "failed", _describe(error)
                counts["failed"] += 1
                transaction.checkpoint()
                continue
            try:
                if smtp is None:
                    smtp = _connect(config)
                smtp.send_message(mail)
            except (smtplib.SMTPException, OSError) as error:
                message.last_error = _describe(error)
                if _permanent(error) or message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                    message.status = "failed"
                    counts["failed"] += 1
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
                    counts["retry"] += 1
                if not isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                    transaction.checkpoint()
                    break  # the server is down or refuses us: try again next run
            else:
                message.status, message.sent_at, message.last_error = "sent", now, None
                counts["sent"] += 1
            transaction.checkpoint()
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return counts


def send_again(message: OutboxMessage) -> None:
    """An admin's "send again" for a failed mail: queued, due at once."""
    message.status, message.attempts, message.next_attempt_at = "queued", 0, None
