"""Composing and queueing mail. ``notify`` is the one way mail is written:
it renders ``templates/emails/<kind>.txt`` in the recipient's language, with
absolute links from ``BASE_URL``, and queues it once per key (a unique
constraint). ``delivery`` sends the outbox (the ``mail.deliver`` job)."""

from __future__ import annotations

from functools import partial

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from booking.core import NotFound, utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.localtime import format_local
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, scoped

# Mail about a person's own account: it acts for the person (confirmation and
# reset links) and belongs to no municipality, whichever one it names.
PERSONAL_PREFIX = "account_"
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def notify(
    kind: str,
    to_address: str,
    tenant: Tenant | None,
    *,
    key: str,
    locale: str | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    fresh: bool = False,
    **context,
) -> OutboxMessage:
    """Compose mail ``kind`` for ``to_address`` and queue it under ``key``
    (once: a second call with the same key changes nothing). ``kind`` names
    ``templates/emails/<kind>.txt`` with a ``subject`` and a ``body`` block;
    the template sees ``tenant`` and ``context`` and builds links with
    ``url_for(..., _external=True)``. Kinds starting with ``account_`` are
    personal: queued without a tenant, shown in no staff outbox.

    ``fresh``: the key names something made in this unit of work (a new
    booking), so no mail can be queued under it yet and it is not looked up
    before rendering; queueing keeps it unique all the same."""
    if not fresh:
        existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing
    subject, text, html = render_mail(kind, locale, tenant=tenant, **context)
    personal = kind.startswith(PERSONAL_PREFIX)
    return queue_mail(
        key,
        to_address,
        subject,
        text,
        body_html=html,
        tenant=None if personal else tenant,
        attachment=attachment,
        personal=personal,
    )


def render_mail(kind: str, locale: str | None, **context) -> tuple[str, str, str]:
    """Subject, text and HTML of mail ``kind`` in ``locale`` (default: the
    installation's), with the municipality's name and contact in the footer.
    Links point at ``BASE_URL``, whichever host a request came to, and work
    the same from a job without any request."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(f"emails/{kind}.txt")
    locale = locale or app.config["BABEL_DEFAULT_LOCALE"]
    tenant = context.get("tenant")
    if tenant is not None:
        # Times in the municipality's zone and the mail's language.
        context.setdefault("when", partial(format_local, tenant))
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(locale):
        subject = " ".join(
            "".join(template.blocks["subject"](template.new_context(context))).split()
        )
        body = "".join(template.blocks["body"](template.new_context(context))).strip()
        text = render_template("emails/_layout.txt", body=body, tenant=tenant).strip() + "\n"
        html = render_template(
            "emails/_layout.html",
            subject=subject,
            paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
            tenant=tenant,
            lang=locale,
        )
    return subject, text, html


def numbered_key(prefix: str) -> str:
    """``<prefix>:<n>``, n counting the mails queued under that prefix: for
    mail that may be asked for again (a second confirmation link)."""
    sent = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like(f"{prefix}:%"))
    )
    return f"{prefix}:{sent + 1}"


def queue_mail(
    key: str,
    to_address: str,
    subject: str,
    body_text: str,
    *,
    tenant: Tenant | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    personal: bool = False,
    body_html: str | None = None,
) -> OutboxMessage:
    """Queue a composed mail once per ``key``; a second call with the same key
    returns the first message unchanged. ``personal`` mail (about a person's
    own account) never appears in a municipality's outbox."""
    values = {
        "key": key,
        "tenant_id": tenant.id if tenant else None,
        "personal": personal,
        "to_address": to_address,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "created_at": utcnow(),
    }
    if attachment:
        values["attachment_name"], values["attachment_type"], values["attachment_data"] = attachment
    # The unique key is the guarantee: two schedulers (or requests) queueing
    # the same notification at once leave one row; the loser takes it. One
    # statement (INSERT … ON CONFLICT DO NOTHING RETURNING) instead of a
    # savepoint around the insert: a booking's mail costs one round trip.
    insert = _UPSERTS[db.session.get_bind().dialect.name]
    statement = (
        insert(OutboxMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage)
    )
    message = db.session.scalars(statement).one_or_none()
    if message is None:
        return db.session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    return message


def outbox_message(tenant: Tenant, message_id: int) -> OutboxMessage:
    """One of the municipality's own (not personal) mails, else ``NotFound``."""
    message = get_scoped(OutboxMessage, tenant, message_id)
    if message.personal:
        raise NotFound(_l("Nicht gefunden."))
    return message


def outbox(tenant: Tenant, limit: int = 200) -> list[OutboxMessage]:
    """The municipality's own mail for its admins: never personal mail."""
    return list(
        db.session.scalars(
            scoped(OutboxMessage, tenant)
            .where(OutboxMessage.personal.is_(False))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
