"""Invoices (Gebührenbescheide): issued when a booking with a fee is created,
following the booking when it is rejected, expires or is cancelled, and
recording offline and online payments and refunds.

Numbers: ``YYYY-NNNNN`` per tenant and *local* year of issuing, without gap
and without duplicate. ``next_number`` raises the ``InvoiceCounter`` row of
(tenant, year) with ``UPDATE … RETURNING``, which holds the row lock until the
unit of work ends (PostgreSQL; on SQLite every transaction already holds the
write lock, ``BEGIN IMMEDIATE``). The counter is in the booking's
transaction: a booking that is rolled back gives its number back.

Amounts: ``total_cents`` is the fee (the items add up to it), the deposit
(``deposit_cents``) is separate; an invoice is paid when ``paid_cents``
covers both. A cancellation keeps the issued items and adds a correction
item (``Stornierung …``, negative), so the history stays on the invoice and
the items still add up to the total.

Plain functions over ``db.session``: they flush, never commit."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from booking.accounts.access import is_staff
from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    checked_text,
    clean_text,
)
from booking.extensions import db
from booking.fees import service as fees
from booking.fees.cancellation import FREE_CANCELLATION, Cancellation, cancel
from booking.fees.models import Invoice, InvoiceCounter
from booking.fees.pricing import NO_FEE, Fee
from booking.fees.rules import category_label
from booking.reservations.access import can_manage_booking
from booking.reservations.models import Booking, Occurrence
from booking.tenants.localtime import tenant_zone
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped

# Invoice texts are German (the Gebührenbescheid is a German document).
INVOICE_LOCALE = "de"
REFERENCE_MAX = Invoice.__table__.c.paid_reference.type.length
# Invoices that are still to be paid (the staff list, dunning).
UNPAID_STATUSES = ("open",)


def local_date(tenant: Tenant, instant: datetime) -> date:
    return instant.astimezone(tenant_zone(tenant)).date()


def next_number(tenant: Tenant, year: int) -> tuple[int, str]:
    """The next sequence number of ``tenant`` in ``year`` and its invoice
    number ``"YYYY-NNNNN"``, taken under the counter row's lock."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(InvoiceCounter)
        .values(tenant_id=tenant.id, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "year"])
    )
    sequence = db.session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.tenant_id == tenant.id, InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return sequence, f"{year:04d}-{sequence:05d}"


def _items(fee: Fee) -> list[dict[str, Any]]:
    return [
        {"label": item.label(INVOICE_LOCALE), "amount_cents": item.amount_cents}
        for item in fee.items
    ]


def owed_cents(invoice: Invoice) -> int:
    """What the invoice asks for altogether: the fee and the deposit."""
    return invoice.total_cents + invoice.deposit_cents


def outstanding_cents(invoice: Invoice) -> int:
    """What is still to be paid (0 when paid, cancelled or overpaid)."""
    if invoice.status == "cancelled":
        return 0
    return max(0, owed_cents(invoice) - invoice.paid_cents + invoice.refunded_cents)


def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.status in UNPAID_STATUSES and invoice.due_date < today


def payment_reference(tenant: Tenant, number: str, booking: Booking) -> str:
    """The Verwendungszweck: the invoice number and the booking number the
    booker knows ("2027-00012 Buchung 2027-0042")."""
    year = local_date(tenant, booking.created_at).year
    return f"{number} Buchung {year}-{booking.id:04d}"


def issue_invoice(tenant: Tenant, booking: Booking, fee: Fee, now: datetime) -> Invoice:
    """The open invoice of ``booking`` for ``fee``: numbered, items in German,
    due ``tenant.payment_due_days`` after the local day of issuing."""
    issued_on = local_date(tenant, now)
    sequence, number = next_number(tenant, issued_on.year)
    invoice = Invoice(
        tenant_id=tenant.id,
        booking_id=booking.id,
        number=number,
        year=issued_on.year,
        sequence=sequence,
        status="open",
        customer_category=booking.customer_category,
        items=_items(fee),
        total_cents=fee.amount_cents,
        deposit_cents=fee.deposit_cents,
        currency=fee.currency,
        issued_on=issued_on,
        due_date=issued_on + timedelta(days=tenant.payment_due_days),
        payment_reference=payment_reference(tenant, number, booking),
        created_at=now,
        updated_at=now,
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


CASE_CATEGORY = "cemetery"  # the customer category of an invoice without a booking


def case_reference(number: str) -> str:
    """The Verwendungszweck of an invoice without a booking ("2027-00012 Friedhof")."""
    return f"{number} Friedhof"


def issue_case_invoice(
    tenant: Tenant,
    fee: Fee,
    *,
    recipient_name: str | None,
    recipient_address: str | None,
    user_id: int | None,
    now: datetime,
) -> Invoice:
    """An open invoice without a booking (a cemetery case: a grave right, its
    extension or transfer, a burial) for ``fee``, addressed to
    ``recipient_name`` / ``recipient_address`` (lines joined by newlines),
    visible to the account ``user_id``; numbered in the same sequence as the
    bookings' invoices, due ``tenant.payment_due_days`` after issuing."""
    issued_on = local_date(tenant, now)
    sequence, number = next_number(tenant, issued_on.year)
    invoice = Invoice(
        tenant_id=tenant.id,
        booking_id=None,
        subject="cemetery",
        recipient_name=(clean_text(recipient_name) or "")[:200] or None,
        recipient_address=clean_text(recipient_address),
        user_id=user_id,
        number=number,
        year=issued_on.year,
        sequence=sequence,
        status="open",
        customer_category=CASE_CATEGORY,
        items=_items(fee),
        total_cents=fee.amount_cents,
        deposit_cents=fee.deposit_cents,
        currency=fee.currency,
        issued_on=issued_on,
        due_date=issued_on + timedelta(days=tenant.payment_due_days),
        payment_reference=case_reference(number),
        created_at=now,
        updated_at=now,
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def issue_if_charged(tenant: Tenant, booking: Booking, now: datetime) -> Invoice | None:
    """The hook at the end of creating a booking: an invoice when the
    booking costs something (a fee or a deposit)."""
    fee = fees.booking_fee(tenant, booking)
    if fee.amount_cents > 0 or fee.deposit_cents > 0:
        return issue_invoice(tenant, booking, fee, now)
    return None


def invoice_of(booking: Booking) -> Invoice | None:
    return db.session.scalar(
        select(Invoice).where(
            Invoice.tenant_id == booking.tenant_id, Invoice.booking_id == booking.id
        )
    )


def _settle_status(invoice: Invoice) -> None:
    if invoice.status == "cancelled":
        return
    if invoice.refunded_cents > 0:
        fully = invoice.refunded_cents >= invoice.paid_cents
        invoice.status = "refunded" if fully else "partly_refunded"
    elif invoice.paid_cents >= owed_cents(invoice):
        invoice.status = "paid"
    else:
        invoice.status = "open"


def record_payment(
    invoice: Invoice,
    amount_cents: int,
    paid_on: date,
    reference: str | None,
    now: datetime,
) -> Invoice:
    """Record a payment of ``amount_cents``; the invoice is ``paid`` once the
    fee and the deposit are covered (a partial payment leaves it open)."""
    if amount_cents <= 0:
        raise ValueError("a payment is a positive amount")
    if invoice.status == "cancelled":
        raise Conflict(_("Der Bescheid ist storniert."))
    invoice.paid_cents += amount_cents
    invoice.paid_on = paid_on
    if reference is not None:
        invoice.paid_reference = reference[:REFERENCE_MAX]
    invoice.updated_at = now
    _settle_status(invoice)
    db.session.flush()
    return invoice


def record_refund(invoice: Invoice, amount_cents: int, now: datetime) -> Invoice:
    """Record money returned: ``refunded`` when all that was paid went back,
    else ``partly_refunded``."""
    if amount_cents <= 0:
        raise ValueError("a refund is a positive amount")
    if invoice.refunded_cents + amount_cents > invoice.paid_cents:
        raise ValueError("cannot refund more than was paid")
    invoice.refunded_cents += amount_cents
    invoice.updated_at = now
    was_cancelled = invoice.status == "cancelled"
    if was_cancelled:
        invoice.status = "open"
    _settle_status(invoice)
    db.session.flush()
    return invoice


def cancel_invoice(invoice: Invoice, now: datetime) -> Invoice:
    """Cancel the invoice of a booking that never took place (rejected,
    expired): a correction item takes the total to 0, the deposit is no
    longer asked for. What was paid stays recorded (to be refunded)."""
    if invoice.status == "cancelled":
        return invoice
    if invoice.total_cents:
        with force_locale(INVOICE_LOCALE):
            label = _("Stornierung des Bescheids")
        invoice.items = [*invoice.items, {"label": label, "amount_cents": -invoice.total_cents}]
    invoice.total_cents = 0
    invoice.deposit_cents = 0
    invoice.updated_at = now
    if invoice.paid_cents == 0:
        invoice.status = "cancelled"
    db.session.flush()
    return invoice


def cancel_booking_invoice(booking: Booking, now: datetime) -> Invoice | None:
    """The hook for a rejected or expired booking."""
    invoice = invoice_of(booking)
    return cancel_invoice(invoice, now) if invoice is not None else None


@dataclass(frozen=True)
class CancellationBill:
    """What cancelling dates of a booking means for its invoice."""

    invoice: Invoice
    cancellation: Cancellation
    # After the cancellation: the fee still owed with the deposit, and what
    # goes back of what was paid.
    remaining_cents: int
    deposit_cents: int
    refund_cents: int
    due_cents: int


def cancellation_bill(
    tenant: Tenant,
    booking: Booking,
    occurrences: list[Occurrence],
    now: datetime,
    *,
    free: bool = False,
) -> CancellationBill | None:
    """What cancelling ``occurrences`` (active dates of ``booking``) at
    ``now`` would cost, by the resource's cancellation policy; ``None`` when
    the booking has no invoice (it costs nothing) or it is cancelled.
    ``free``: the dates cost nothing any more (staff refused them)."""
    invoice = invoice_of(booking)
    if invoice is None or invoice.status == "cancelled":
        return None
    try:
        fee = fees.booking_fee(tenant, booking)
    except ValidationFailed:  # the rules no longer price this category
        fee = NO_FEE
    policy = FREE_CANCELLATION if free else fees.cancellation_policy_of(booking.resource)
    net_paid = max(0, invoice.paid_cents - invoice.refunded_cents)
    fee_paid = min(net_paid, invoice.total_cents)
    deposit_paid = min(net_paid - fee_paid, invoice.deposit_cents)
    known = {(o.start, o.end) for o in fee.occurrences}
    periods = [(o.start_at, o.end_at) for o in occurrences if (o.start_at, o.end_at) in known]
    when = now
    if free and periods:  # before every date: the free policy charges nothing
        when = min(now, min(start for start, _end in periods) - timedelta(seconds=1))
    result = cancel(
        policy,
        fee,
        periods,
        when,
        tenant_zone(tenant),
        owed_cents=max(invoice.total_cents, fee.amount_cents),
        paid_cents=fee_paid,
        deposit_paid_cents=deposit_paid,
    )
    # Earlier cancellations may have left the invoice below the fee of the
    # dates now (a charge kept); never owe more than the invoice said.
    remaining = min(result.remaining_cents, invoice.total_cents)
    everything = {o.id for o in occurrences} >= {o.id for o in booking.active_occurrences}
    deposit = 0 if everything else invoice.deposit_cents
    refund = max(0, net_paid - remaining - deposit)
    return CancellationBill(
        invoice=invoice,
        cancellation=result,
        remaining_cents=remaining,
        deposit_cents=deposit,
        refund_cents=refund,
        due_cents=max(0, remaining + deposit - net_paid),
    )


def follow_cancellation(
    tenant: Tenant,
    booking: Booking,
    occurrences: list[Occurrence],
    now: datetime,
    *,
    free: bool = False,
) -> Invoice | None:
    """The hook before dates of a booking are cancelled: the invoice keeps
    its items and gains a correction item for what the cancelled dates no
    longer cost (the policy's charge stays owed); the deposit goes when no
    date is left. An invoice nothing is owed on and nothing was paid of
    becomes ``cancelled``."""
    bill = cancellation_bill(tenant, booking, occurrences, now, free=free)
    if bill is None:
        return None
    invoice = bill.invoice
    released = invoice.total_cents - bill.remaining_cents
    label = _correction_label(tenant, bill, now) if released else ""
    return _correct(invoice, label, -released, bill.deposit_cents, now)


def _correct(
    invoice: Invoice, label: str, delta: int, deposit_cents: int, now: datetime
) -> Invoice:
    """Add a correction item of ``delta`` cents (none when 0) and the new
    deposit; an invoice left with nothing owed and nothing paid is cancelled."""
    if delta:
        invoice.items = [*invoice.items, {"label": label, "amount_cents": delta}]
        invoice.total_cents += delta
    invoice.deposit_cents = deposit_cents
    invoice.updated_at = now
    if owed_cents(invoice) == 0 and invoice.paid_cents == 0:
        invoice.status = "cancelled"
    else:
        _settle_status(invoice)
    db.session.flush()
    return invoice


def _correction_label(tenant: Tenant, bill: CancellationBill, now: datetime) -> str:
    zone = tenant_zone(tenant)
    with force_locale(INVOICE_LOCALE):
        count = len(bill.cancellation.dates)
        when = format_date(local_date(tenant, now), format="medium")
        if count == 1:
            cancelled = bill.cancellation.dates[0]
            day = format_date(cancelled.start.astimezone(zone).date(), format="medium")
            return _(
                "Stornierung am %(when)s: Termin %(day)s (%(percent)d %% Stornogebühr)",
                when=when,
                day=day,
                percent=cancelled.percent,
            )
        return ngettext(
            "Stornierung am %(when)s: %(num)d Termin",
            "Stornierung am %(when)s: %(num)d Termine",
            count,
            when=when,
        )


def parse_paid_on(value: object, today: date) -> date:
    """A payment date ``YYYY-MM-DD``, not in the future (422 otherwise)."""
    if not isinstance(value, str):
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."), {"paid_on": [_("Datum fehlt.")]}
        )
    try:
        paid_on = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."),
            {"paid_on": [_("Bitte ein Datum im Format JJJJ-MM-TT.")]},
        ) from None
    if len(value) != 10 or paid_on > today or paid_on.year < 2000:
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."),
            {"paid_on": [_("Das Zahlungsdatum darf nicht in der Zukunft liegen.")]},
        )
    return paid_on


# --- staff: offline payment, lists, the cash office's export, bank details ------------


def can_view_invoice(user: User | None, booking: Booking) -> bool:
    """Its booker (or their organisation's manager), clerks and admins — not
    caretakers, who see the booking but not what it costs."""
    return can_manage_booking(user, booking)


def can_manage_invoices(user: User | None, tenant: Tenant) -> bool:
    return is_staff(user, tenant)


def _payment_snapshot(invoice: Invoice) -> dict[str, Any]:
    return {
        "status": invoice.status,
        "paid_cents": invoice.paid_cents,
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "paid_reference": invoice.paid_reference,
    }


def mark_paid(
    tenant: Tenant,
    actor: User,
    invoice: Invoice,
    paid_on: date,
    reference: str | None,
    now: datetime,
) -> Invoice:
    """A clerk records an offline payment (bank transfer, cash office) of
    what is still outstanding: the invoice is paid in full (audited).
    ``Conflict`` when it is already paid or cancelled."""
    if invoice.tenant_id != tenant.id:
        raise NotFound(_("Nicht gefunden."))
    if not can_manage_invoices(actor, tenant):
        raise Forbidden(_("Nur die Verwaltung kann Zahlungen erfassen."))
    reference = checked_text("reference", reference, REFERENCE_MAX)
    if invoice.status != "open":
        raise Conflict(_("Der Bescheid ist nicht mehr offen."))
    outstanding = outstanding_cents(invoice)
    if outstanding <= 0:
        raise Conflict(_("Auf diesen Bescheid ist nichts mehr zu zahlen."))
    before = _payment_snapshot(invoice)
    record_payment(invoice, outstanding, paid_on, clean_text(reference), now)
    audit.record(
        tenant,
        actor,
        "invoice.mark_paid",
        invoice,
        before=before,
        after={**_payment_snapshot(invoice), "amount_cents": outstanding},
        now=now,
    )
    db.session.flush()
    return invoice


LIST_FILTERS = ("unpaid", "overdue", "open", "paid", "cancelled", "refunded", "partly_refunded")


def list_invoices(tenant: Tenant, status: str, today: date) -> list[Invoice]:
    """The municipality's invoices by filter: ``unpaid`` (open, the
    default), ``overdue`` (open and past the due date), or a status;
    earliest due first."""
    query = select(Invoice).where(Invoice.tenant_id == tenant.id)
    if status in ("unpaid", "open"):
        query = query.where(Invoice.status == "open")
    elif status == "overdue":
        query = query.where(Invoice.status == "open", Invoice.due_date < today)
    else:
        query = query.where(Invoice.status == status)
    query = query.order_by(Invoice.due_date, Invoice.sequence, Invoice.id)
    # The recipient (organisation or person) and hall of every row, loaded
    # with the list: not two queries per invoice.
    booking = selectinload(Invoice.booking)
    query = query.options(
        booking.selectinload(Booking.organisation),
        booking.selectinload(Booking.user),
        booking.selectinload(Booking.resource),
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Sums:
    count: int
    owed_cents: int
    outstanding_cents: int
    overdue_count: int
    overdue_cents: int


def sums(items: list[Invoice], today: date) -> Sums:
    overdue = [i for i in items if is_overdue(i, today)]
    return Sums(
        count=len(items),
        owed_cents=sum(owed_cents(i) for i in items),
        outstanding_cents=sum(outstanding_cents(i) for i in items),
        overdue_count=len(overdue),
        overdue_cents=sum(outstanding_cents(i) for i in overdue),
    )


def recipient_of(booking: Booking | None) -> str:
    """Whom a booking's invoice is addressed to: the organisation, else the person."""
    if booking is None:
        return ""
    if booking.organisation is not None:
        return booking.organisation.name
    user = booking.user
    if user is None:
        return ""
    return user.name or user.email


def invoice_recipient(invoice: Invoice) -> str:
    """Whom ``invoice`` is addressed to: its booking's organisation or
    person, or for an invoice without a booking its recipient's name."""
    if invoice.booking is not None:
        return recipient_of(invoice.booking)
    return invoice.recipient_name or ""


def subject_text(invoice: Invoice) -> str:
    """What the invoice bills, for the export: the booking's title, else
    "Friedhof" for a cemetery case."""
    if invoice.booking is not None:
        return invoice.booking.title
    return "Friedhof" if invoice.subject == "cemetery" else ""


def can_view_case_invoice(user: User | None, invoice: Invoice) -> bool:
    """An invoice without a booking: staff of its tenant, and the account it
    names (``invoice.user_id``, a grave right's holder)."""
    if getattr(user, "is_authenticated", False) is not True:
        return False
    if is_staff(user, invoice.tenant_id):
        return True
    return invoice.user_id is not None and invoice.user_id == user.id


def case_invoices_of(tenant: Tenant, user: User) -> list[Invoice]:
    """The invoices without a booking addressed to ``user``'s account, newest first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.tenant_id == tenant.id,
                Invoice.booking_id.is_(None),
                Invoice.user_id == user.id,
            )
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        )
    )


def person_of(invoice: Invoice) -> User | None:
    """Whom reminders go to: the booker, else the account the invoice names."""
    if invoice.booking is not None:
        return invoice.booking.user
    return db.session.get(User, invoice.user_id) if invoice.user_id else None


# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` safe for a spreadsheet: a leading formula character is
    neutralised with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def german_amount(cents: int) -> str:
    """Cents as the cash office's spreadsheet reads them: ``1234,50``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


CSV_HEADER = (
    "Bescheidnummer",
    "Bescheiddatum",
    "Fällig am",
    "Status",
    "Empfänger",
    "Buchung",
    "Gebühr (EUR)",
    "Kaution (EUR)",
    "Bezahlt (EUR)",
    "Erstattet (EUR)",
    "Offen (EUR)",
    "Verwendungszweck",
    "Bezahlt am",
    "Zahlungsreferenz",
)
STATUS_WORDS = {
    "open": "offen",
    "paid": "bezahlt",
    "cancelled": "storniert",
    "refunded": "erstattet",
    "partly_refunded": "teilweise erstattet",
}


def csv_export(items: list[Invoice], today: date) -> bytes:
    """The list for the municipal cash office: ``;``-separated, UTF-8 with
    a BOM (Excel opens it right), decimal comma, a header row, every text
    cell guarded against formula injection."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for invoice in items:
        status = STATUS_WORDS.get(invoice.status, invoice.status)
        if is_overdue(invoice, today):
            status = "überfällig"
        writer.writerow(
            [
                csv_cell(invoice.number),
                invoice.issued_on.strftime("%d.%m.%Y"),
                invoice.due_date.strftime("%d.%m.%Y"),
                status,
                csv_cell(invoice_recipient(invoice)),
                csv_cell(subject_text(invoice)),
                german_amount(invoice.total_cents),
                german_amount(invoice.deposit_cents),
                german_amount(invoice.paid_cents),
                german_amount(invoice.refunded_cents),
                german_amount(outstanding_cents(invoice)),
                csv_cell(invoice.payment_reference),
                invoice.paid_on.strftime("%d.%m.%Y") if invoice.paid_on else "",
                csv_cell(invoice.paid_reference),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def get_invoice(tenant: Tenant, invoice_id: object) -> Invoice:
    return get_scoped(Invoice, tenant, invoice_id)


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 alphanumerics,
    and the mod-97 check."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def set_bank_details(
    tenant: Tenant,
    *,
    holder: str | None,
    iban: str | None,
    bic: str | None,
    bank_name: str | None,
    due_days: int,
) -> Tenant:
    """Where bank transfers go and how many days invoices give; the IBAN
    and BIC are stored compact and upper case. ``ValidationFailed`` names
    the field."""
    errors: dict[str, list[Any]] = {}
    iban = (iban or "").replace(" ", "").upper() or None
    bic = (bic or "").replace(" ", "").upper() or None
    if iban is not None and not iban_is_valid(iban):
        errors["iban"] = [_("Diese IBAN ist nicht gültig.")]
    if bic is not None and not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
        errors["bic"] = [_("Eine BIC hat 8 oder 11 Zeichen.")]
    if not isinstance(due_days, int) or not 0 <= due_days <= 365:
        errors["payment_due_days"] = [_("Zwischen 0 und 365 Tagen.")]
    holder = checked_text("bank_account_holder", holder, 200)
    bank_name = checked_text("bank_name", bank_name, 200)
    if errors:
        raise ValidationFailed(_("Bitte prüfen Sie die Angaben."), errors)
    tenant.bank_account_holder = clean_text(holder)
    tenant.iban = iban
    tenant.bic = bic
    tenant.bank_name = clean_text(bank_name)
    tenant.payment_due_days = due_days
    db.session.flush()
    return tenant


def change_category(
    tenant: Tenant, actor: User | None, booking: Booking, category: str, now: datetime
) -> Fee:
    """A clerk corrects the customer category (``fees.service.change_category``,
    audited) and the invoice follows (``follow_fee_change``)."""
    before = current_fee_cents(tenant, booking)
    fee = fees.change_category(tenant, actor, booking, category, now)
    follow_fee_change(tenant, booking, before, fee, now)
    return fee


def current_fee_cents(tenant: Tenant, booking: Booking) -> int | None:
    """What the booking's dates cost now (None: no tariff for its category);
    taken before a change, it is the ``before_cents`` of ``follow_move``."""
    try:
        return fees.booking_fee(tenant, booking).amount_cents
    except ValidationFailed:
        return None


def follow_move(tenant: Tenant, booking: Booking, before_cents: int | None, now: datetime) -> None:
    """A moved date may cost otherwise (a weekend surcharge, more hours): the
    invoice gains a correction item for the difference. ``before_cents`` is
    the fee of the dates before the move (``current_fee_cents``)."""
    after_cents = current_fee_cents(tenant, booking)
    if before_cents is None or after_cents is None or after_cents == before_cents:
        return
    with force_locale(INVOICE_LOCALE):
        label = _("Berichtigung: Termin verlegt")
    follow_fee_change(tenant, booking, before_cents, fees.booking_fee(tenant, booking), now, label)


def follow_fee_change(
    tenant: Tenant,
    booking: Booking,
    before_cents: int | None,
    after: Fee,
    now: datetime,
    label: str | None = None,
) -> Invoice | None:
    """The invoice follows a corrected fee (a clerk changed the customer
    category: ``fees.service.change_category`` gives the fee before, in
    cents, and after). A booking without an invoice gets one when it costs
    something now; otherwise a correction item (``Berichtigung …``) takes
    the total to the new fee, and the deposit becomes the new one. A
    cancelled invoice stays cancelled."""
    invoice = invoice_of(booking)
    if invoice is None:
        if after.amount_cents > 0 or after.deposit_cents > 0:
            return issue_invoice(tenant, booking, after, now)
        return None
    if invoice.status == "cancelled":
        return invoice
    before = invoice.total_cents if before_cents is None else before_cents
    delta = max(after.amount_cents - before, -invoice.total_cents)
    if label is None:
        with force_locale(INVOICE_LOCALE):
            label = _(
                "Berichtigung: Kundengruppe „%(category)s“",
                category=category_label(booking.customer_category),
            )
    invoice.customer_category = booking.customer_category
    return _correct(invoice, label, delta, after.deposit_cents, now)
