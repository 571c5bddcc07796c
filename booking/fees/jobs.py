"""``payments.dunning``: reminders (Mahnungen) for overdue invoices through
the outbox, once per stage.

Stage 1 goes out the day after the due date, stage 2 fourteen days after
that. Each reminder is ``notify``'d under the key
``invoice-reminder:<invoice id>:<stage>`` (a unique key: a second run, or a
second scheduler, queues nothing twice), and the invoice remembers its
stage (``dunning_stage``, ``dunned_at``). An invoice overdue so long that
both stages are due gets only stage 2. Paid, cancelled or refunded
invoices get none; nor does one with no person to write to (a booking
without its booker's account, or an invoice without a booking — a cemetery
case — whose recipient has no account: ``invoice.user_id``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import transaction
from booking.core import utcnow
from booking.extensions import db
from booking.fees.invoices import local_date, outstanding_cents, person_of
from booking.fees.models import Invoice
from booking.jobs import Job
from booking.notifications.service import notify
from booking.reservations.models import Booking
from booking.tenants.models import Tenant

SECOND_STAGE_AFTER_DAYS = 14
CHECKPOINT_EVERY = 50


def stage_due(invoice: Invoice, today: date) -> int:
    """The reminder stage an invoice has reached on ``today`` (0: not overdue)."""
    if invoice.status != "open" or today <= invoice.due_date:
        return 0
    if today > invoice.due_date + timedelta(days=SECOND_STAGE_AFTER_DAYS):
        return 2
    return 1


def reminder_key(invoice: Invoice, stage: int) -> str:
    return f"invoice-reminder:{invoice.id}:{stage}"


def send_dunning(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    queued = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        today = local_date(tenant, now)
        overdue = db.session.scalars(
            select(Invoice)
            .options(selectinload(Invoice.booking).selectinload(Booking.user))
            .where(
                Invoice.tenant_id == tenant.id,
                Invoice.status == "open",
                Invoice.due_date < today,
                Invoice.dunning_stage < 2,
            )
            .order_by(Invoice.due_date, Invoice.id)
        ).all()
        for invoice in overdue:
            stage = stage_due(invoice, today)
            if stage <= invoice.dunning_stage or outstanding_cents(invoice) <= 0:
                continue
            # The booker, or for an invoice without a booking the account it
            # names; nobody to write to (a holder without an account): none.
            person = person_of(invoice)
            if person is None or not person.email:
                continue
            notify(
                "invoice_reminder",
                person.email,
                tenant,
                key=reminder_key(invoice, stage),
                locale=person.locale,
                invoice=invoice,
                booking=invoice.booking,
                person=person,
                stage=stage,
                outstanding_cents=outstanding_cents(invoice),
            )
            invoice.dunning_stage = stage
            invoice.dunned_at = now
            queued += 1
            if queued % CHECKPOINT_EVERY == 0:
                transaction.checkpoint()
    db.session.flush()
    return {"queued": queued}


JOBS = [
    Job(
        "payments.dunning",
        send_dunning,
        _l("Zahlungserinnerungen für überfällige Gebührenbescheide verschicken"),
        trigger="cron",
        schedule={"hour": 7, "minute": 15},
    ),
]
