"""Queueing and composing mail. ``notify`` is the one way mail is written:
it queues what to write, once per key (a unique constraint), in one cheap
statement; ``compose`` renders ``templates/emails/<kind>.txt`` from it in
the recipient's language, with absolute links from ``BASE_URL``, when the
``mail.deliver`` job (``delivery``) takes the mail up. A request that books
a hall spends no time on its confirmation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from booking import transaction
from booking.core import NotFound, utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.localtime import format_local
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, scoped

log = logging.getLogger(__name__)

# Mail about a person's own account: it acts for the person (confirmation and
# reset links) and belongs to no municipality, whichever one it names.
PERSONAL_PREFIX = "account_"
COMPOSE_BATCH = 200  # at most this many mails composed per run; the next run goes on
COMPOSE_STEP = 50  # composed per commit

Attachment = tuple[str, str, bytes]  # file name, content type, data
# Attachments made at composition from the mail's context, by name
# (``attachment_maker``): registered by the package whose mail carries them.
ATTACHMENT_MAKERS: dict[str, Callable[..., Attachment]] = {}


def attachment_maker(name: str):
    """Register ``maker(**context) -> (file name, type, data)`` as ``name``."""

    def register(maker: Callable[..., Attachment]) -> Callable[..., Attachment]:
        ATTACHMENT_MAKERS[name] = maker
        return maker

    return register


# Mail the database state owes rather than a request queued (a new
# booking's first mail): each source queues what it finds with ``notify``
# and marks it done; ``compose_pending`` runs them first, so such mail goes
# out in the same run as mail a request queued. Registered by their package.
MAIL_SOURCES: list[Callable[[datetime], object]] = []


def mail_source(source: Callable[[datetime], object]) -> Callable[[datetime], object]:
    """Register ``source(now)`` (see ``MAIL_SOURCES``)."""
    MAIL_SOURCES.append(source)
    return source


def notify(
    kind: str,
    to_address: str,
    tenant: Tenant | None,
    *,
    key: str,
    locale: str | None = None,
    attachment: str | None = None,
    **context: Any,
) -> None:
    """Queue mail ``kind`` for ``to_address`` under ``key`` (once: a second
    call with the same key changes nothing). ``kind`` names
    ``templates/emails/<kind>.txt`` with a ``subject`` and a ``body`` block;
    the template sees ``tenant`` and ``context`` and builds links with
    ``url_for(..., _external=True)``. ``attachment`` names a registered
    ``attachment_maker``. Kinds starting with ``account_`` are personal:
    queued without a tenant, shown in no staff outbox.

    The mail is composed at delivery from ``context`` as it is stored: rows
    by reference (read again then: a mail says what holds when it goes out,
    a moment later), plain values (text, numbers, dates, lists) as they are.
    One statement, nothing looked up first: the insert skips a key that is
    queued already."""
    personal = kind.startswith(PERSONAL_PREFIX)
    _insert(
        key,
        to_address,
        tenant=None if personal else tenant,
        personal=personal,
        kind=kind,
        locale=locale,
        context={name: _stored(value) for name, value in {"tenant": tenant, **context}.items()},
        attachment_maker=attachment,
    )


# --- what a mail is about, stored -------------------------------------------------------


class Gone(LookupError):
    """A row a queued mail is about no longer exists."""


@lru_cache(maxsize=1)
def _models() -> dict[str, type]:
    """Mapped classes by name, as ``_stored`` names them (the names are
    unique: tests/notifications/test_compose.py)."""
    return {mapper.class_.__name__: mapper.class_ for mapper in db.Model.registry.mappers}


def _stored(value: Any) -> Any:
    """``value`` as JSON: a row as ``{"$row": class, "id": …}``, instants and
    dates tagged, lists and text as they are."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): _stored(v) for k, v in value.items()}}
    state = inspect(value, raiseerr=False)
    if state is not None and hasattr(state, "mapper"):
        (identity,) = state.mapper.primary_key_from_instance(value)
        if identity is None:
            raise TypeError(f"{value!r} has no id yet: flush it before queueing mail about it")
        return {"$row": type(value).__name__, "id": identity}
    if isinstance(value, LazyString):  # a text of ours: in the language of the moment
        return str(value)
    raise TypeError(f"mail context cannot store {type(value).__name__}")


def _restored(value: Any, models: dict[str, type]) -> Any:
    if isinstance(value, list):
        return [_restored(item, models) for item in value]
    if not isinstance(value, dict):
        return value
    if "$row" in value:
        row = db.session.get(models[value["$row"]], value["id"])
        if row is None:
            raise Gone(f"{value['$row']} {value['id']}")
        return row
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    return {k: _restored(v, models) for k, v in value["$dict"].items()}


# --- composing ----------------------------------------------------------------------------


def compose(message: OutboxMessage) -> None:
    """Write subject, text, HTML and attachment of a queued mail from what
    ``notify`` stored, and forget that. Raises ``Gone`` when a row it is
    about was deleted in the meantime; the message is then unchanged."""
    models = _models()
    context = {k: _restored(v, models) for k, v in (message.context or {}).items()}
    subject, text, html = render_mail(message.kind, message.locale, **context)
    if message.attachment_maker:
        made = ATTACHMENT_MAKERS[message.attachment_maker](**context)
        message.attachment_name, message.attachment_type, message.attachment_data = made
    message.subject, message.body_text, message.body_html = subject, text, html
    message.context = None


def compose_pending(now: datetime) -> dict[str, int]:
    """Queue what the ``MAIL_SOURCES`` owe, then compose the queued mail not
    yet composed, oldest first, in steps of ``COMPOSE_STEP`` (one commit
    each; composing again after a crash writes the same). A mail that
    cannot be written (a row it is about was deleted, a broken template) is
    marked failed for the admins; the rest go on."""
    for source in MAIL_SOURCES:
        source(now)
        transaction.checkpoint()
    counts = {"composed": 0, "failed": 0}
    while counts["composed"] + counts["failed"] < COMPOSE_BATCH:
        step = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "queued", OutboxMessage.body_text.is_(None))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(COMPOSE_STEP)
            .with_for_update(skip_locked=True)
        ).all()
        if not step:
            break
        for message in step:
            try:
                compose(message)
            except SQLAlchemyError:
                raise  # the database, not the mail: the next run tries again
            except Exception as error:  # one broken mail must not hold up the others
                log.exception("mail %s could not be composed", message.id)
                message.status, message.attempts = "failed", message.attempts + 1
                message.last_error = f"{type(error).__name__}: {error}"[:500]
                counts["failed"] += 1
            else:
                counts["composed"] += 1
        transaction.checkpoint()
    return counts


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
    attachment: Attachment | None = None,
    personal: bool = False,
    body_html: str | None = None,
) -> OutboxMessage:
    """Queue a mail composed elsewhere once per ``key``; a second call with
    the same key returns the first message unchanged. ``personal`` mail
    (about a person's own account) never appears in a municipality's outbox."""
    values: dict[str, Any] = {"subject": subject, "body_text": body_text, "body_html": body_html}
    if attachment:
        values["attachment_name"], values["attachment_type"], values["attachment_data"] = attachment
    _insert(key, to_address, tenant=tenant, personal=personal, **values)
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def _insert(
    key: str, to_address: str, *, tenant: Tenant | None, personal: bool, **values: Any
) -> None:
    """One row, unless ``key`` is queued already. The unique key is the
    guarantee: two schedulers (or requests) queueing the same notification
    at once leave one row. One statement (INSERT … ON CONFLICT DO NOTHING),
    no savepoint, nothing read back: a booking's mail costs one round trip."""
    db.session.execute(
        _upsert(db.session.get_bind().dialect.name),
        {
            "key": key,
            "to_address": to_address,
            "tenant_id": tenant.id if tenant else None,
            "personal": personal,
            "created_at": utcnow(),
            **values,
        },
    )


@lru_cache(maxsize=4)
def _upsert(dialect: str):
    """INSERT … ON CONFLICT (key) DO NOTHING, built once: the values come as
    parameters (the columns left out take their defaults); ``inline``: no
    RETURNING of the new id, which nobody reads."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return insert(OutboxMessage.__table__).inline().on_conflict_do_nothing(index_elements=["key"])


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
