"""Grave rights (Nutzungsrechte): holders, acquiring, extending in whole
years, transfer, surrender (Verzicht), clearing, and the rule a burial
follows (``right_for_burial``); Reihengrab allocation (``allocate_plot``).

Every change is a ``GraveRightEvent`` in the right's history and an audit
entry; what costs something is billed through ``cemetery.fees``. Services
only flush."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import MAX_YEAR, Conflict, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees.models import Invoice
from booking.tenants.localtime import tenant_zone
from booking.tenants.models import Tenant
from booking.tenants.service import scoped
from cemetery import fees
from cemetery.access import is_holder
from cemetery.models import (
    ACTIVE_BURIAL_STATUSES,
    Burial,
    Cemetery,
    Contact,
    GraveRight,
    GraveRightEvent,
    GraveType,
    Plot,
    Section,
    contact_key,
)
from cemetery.register import (
    CHECK,
    _int,
    _raise,
    _text,
    local_today,
    plots_of,
    require_manage,
)
from cemetery.rules import add_years, term_end, years_to_cover

TERM_MAX = 100  # years: of a right, of one extension
# Rights taken over from old registers may start long ago.
EARLIEST_START = 1800
CERTIFICATE_MAX = 40
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# The statutory order of succession (as most Friedhofssatzungen have it), a
# guide for the clerk choosing the next holder when the holder died.
SUCCESSION_ORDER = (
    _l("Ehegatte, eingetragene Lebenspartnerin oder eingetragener Lebenspartner"),
    _l("Lebensgefährtin oder Lebensgefährte"),
    _l("Kinder (ehelich, nichtehelich, adoptiert)"),
    _l("Stiefkinder"),
    _l("Enkel"),
    _l("Eltern"),
    _l("Geschwister"),
    _l("Stiefgeschwister"),
    _l("Nicht unter die vorstehenden Gruppen fallende Erben"),
)


# --- contacts -----------------------------------------------------------------------


def find_or_create_contact(
    tenant: Tenant,
    *,
    name: str,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    user_id: int | None = None,
    fill: bool = True,
) -> Contact:
    """The contact with this name and address (the same person written to
    before, as ``contact_key`` compares them), else a new one. Missing e-mail, phone or account are filled in
    (``fill``; not from a funeral home's request, which must not redirect a
    holder's mail: the contact is then used as it is)."""
    errors: dict[str, list] = {}
    name = _text(errors, "name", name, 200, required=True)
    street = _text(errors, "street", street, 200)
    postcode = _text(errors, "postcode", postcode, 10)
    city = _text(errors, "city", city, 100)
    email = _text(errors, "email", email, 254)
    phone = _text(errors, "phone", phone, 40)
    if email and "email" not in errors and not EMAIL.fullmatch(email):
        errors["email"] = [_l("Bitte eine gültige E-Mail-Adresse angeben.")]
    _raise(errors)

    contact = db.session.scalars(
        scoped(Contact, tenant)
        .where(Contact.match_key == contact_key(name, street, postcode, city))
        .order_by(Contact.id)
        .limit(1)
    ).first()
    if contact is None:
        contact = Contact(
            tenant_id=tenant.id,
            name=name,
            street=street,
            postcode=postcode,
            city=city,
            email=email,
            phone=phone,
            user_id=user_id,
        )
        db.session.add(contact)
        db.session.flush()
        return contact
    if not fill:
        return contact
    contact.email = contact.email or email
    contact.phone = contact.phone or phone
    contact.user_id = contact.user_id or user_id
    return contact


# --- reading ------------------------------------------------------------------------


def active_right(plot: Plot) -> GraveRight | None:
    """The plot's active right (at most one), None when it has none."""
    return db.session.scalar(
        select(GraveRight).where(GraveRight.plot_id == plot.id, GraveRight.status == "active")
    )


def rights_of(plot: Plot) -> list[GraveRight]:
    """Every right the plot had, newest first, with holders and events."""
    return list(
        db.session.scalars(
            select(GraveRight)
            .where(GraveRight.plot_id == plot.id)
            .options(
                selectinload(GraveRight.holder),
                selectinload(GraveRight.successor),
                selectinload(GraveRight.events),
            )
            .order_by(GraveRight.start_date.desc(), GraveRight.id.desc())
        )
    )


def burials_of(plot: Plot) -> list[Burial]:
    return list(
        db.session.scalars(
            select(Burial)
            .where(Burial.plot_id == plot.id)
            .order_by(Burial.burial_date.desc(), Burial.id.desc())
        )
    )


def rest_running_until(plot: Plot, on: date) -> date | None:
    """The end of the latest rest period still running on ``on``, else None."""
    last = db.session.scalar(
        select(func.max(Burial.rest_until)).where(
            Burial.plot_id == plot.id, Burial.status.in_(ACTIVE_BURIAL_STATUSES)
        )
    )
    return last if last is not None and last >= on else None


def expired_rights(tenant: Tenant, today: date) -> list[GraveRight]:
    """Active rights that ended before ``today``: their plots are to be
    cleared. Oldest end first, with plot and holder."""
    return list(
        db.session.scalars(
            scoped(GraveRight, tenant)
            .where(GraveRight.status == "active", GraveRight.end_date < today)
            .options(
                selectinload(GraveRight.plot).selectinload(Plot.cemetery),
                selectinload(GraveRight.plot).selectinload(Plot.grave_type),
                selectinload(GraveRight.holder),
            )
            .order_by(GraveRight.end_date, GraveRight.id)
        )
    )


def rights_ending(tenant: Tenant, until: date, *, since: date | None = None) -> list[GraveRight]:
    """Active rights ending on or before ``until`` (and on or after
    ``since`` when given), soonest first, with plot and holder."""
    query = scoped(GraveRight, tenant).where(
        GraveRight.status == "active", GraveRight.end_date <= until
    )
    if since is not None:
        query = query.where(GraveRight.end_date >= since)
    return list(
        db.session.scalars(
            query.options(
                selectinload(GraveRight.plot).selectinload(Plot.grave_type),
                selectinload(GraveRight.holder),
            ).order_by(GraveRight.end_date, GraveRight.id)
        )
    )


# --- changes ------------------------------------------------------------------------


def snapshot(right: GraveRight) -> dict[str, Any]:
    return {
        "plot_id": right.plot_id,
        "holder_id": right.holder_id,
        "successor_id": right.successor_id,
        "start_date": right.start_date.isoformat(),
        "end_date": right.end_date.isoformat(),
        "certificate_number": right.certificate_number,
        "status": right.status,
    }


def _event(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    kind: str,
    on: date,
    now: datetime,
    *,
    years: int | None = None,
    invoice: Invoice | None = None,
    note: str | None = None,
    **details: Any,
) -> GraveRightEvent:
    event = GraveRightEvent(
        tenant_id=tenant.id,
        kind=kind,
        on_date=on,
        years=years,
        details=details,
        actor_id=actor.id if actor is not None else None,
        invoice_id=invoice.id if invoice is not None else None,
        note=note,
        created_at=now,
    )
    right.events.append(event)
    return event


def _own(tenant: Tenant, obj: Any) -> None:
    if obj.tenant_id != tenant.id:
        raise ValidationFailed(CHECK)


def _years(years: Any, field: str = "years") -> int:
    errors: dict[str, list] = {}
    value = _int(errors, field, years, 1, TERM_MAX)
    _raise(errors)
    assert value is not None
    return value


def _acquire(
    tenant: Tenant,
    actor: User | None,
    plot: Plot,
    holder: Contact,
    *,
    start: date,
    years: int | None,
    certificate_number: str | None,
    successor: Contact | None,
    now: datetime,
    bill: bool,
) -> GraveRight:
    _own(tenant, plot)
    _own(tenant, holder)
    if successor is not None:
        _own(tenant, successor)
    errors: dict[str, list] = {}
    certificate = _text(errors, "certificate_number", certificate_number, CERTIFICATE_MAX)
    term = plot.grave_type.default_term_years if years is None else years
    term = _int(errors, "years", term, 1, TERM_MAX)
    if not isinstance(start, date) or isinstance(start, datetime):
        errors["start"] = [_l("Bitte ein Datum angeben.")]
    elif not EARLIEST_START <= start.year <= MAX_YEAR:
        errors["start"] = [
            _l("Bitte ein Jahr zwischen %(a)d und %(b)d.", a=EARLIEST_START, b=MAX_YEAR)
        ]
    _raise(errors)
    assert term is not None
    if plot.blocked:
        raise Conflict(_l("Die Grabstätte ist gesperrt: %(reason)s", reason=plot.blocked_reason))
    if active_right(plot) is not None:
        raise Conflict(
            _l("Für diese Grabstätte besteht schon ein Nutzungsrecht."),
            {"fields": {"plot_id": [_l("Es besteht schon ein Nutzungsrecht.")]}},
        )
    right = GraveRight(
        tenant_id=tenant.id,
        plot=plot,
        holder=holder,
        successor=successor,
        start_date=start,
        end_date=term_end(start, term),
        certificate_number=certificate,
        status="active",
        created_at=now,
        updated_at=now,
    )
    db.session.add(right)
    db.session.flush()
    invoice = None
    if bill:
        invoice = fees.bill(
            tenant, fees.right_fee(tenant, plot.grave_type, term), contact=holder, now=now
        )
    _event(tenant, actor, right, "acquired", start, now, years=term, invoice=invoice)
    db.session.flush()
    audit.record(tenant, actor, "grave_right.acquire", right, after=snapshot(right), now=now)
    return right


def acquire_right(
    tenant: Tenant,
    actor: User | None,
    plot: Plot,
    holder: Contact,
    *,
    start: date,
    years: int | None = None,
    certificate_number: str | None = None,
    successor: Contact | None = None,
    now: datetime | None = None,
    bill: bool = True,
) -> GraveRight:
    """A new right on a plot without one, for ``years`` (default: the grave
    type's term) from ``start``; billed (``fees.right_fee``) to the holder.
    409 when the plot has an active right or is blocked."""
    require_manage(tenant, actor)
    return _acquire(
        tenant,
        actor,
        plot,
        holder,
        start=start,
        years=years,
        certificate_number=certificate_number,
        successor=successor,
        now=now or utcnow(),
        bill=bill,
    )


def _active(right: GraveRight) -> None:
    if right.status != "active":
        raise Conflict(_l("Dieses Nutzungsrecht ist beendet."))


def not_extendable_message(grave_type: GraveType) -> Any:
    return _l(
        "Das Nutzungsrecht an einem %(type)s kann nicht verlängert werden.",
        type=grave_type.name,
    )


def _extend(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    years: int,
    *,
    now: datetime,
    bill: bool,
    reason: str | None,
) -> tuple[GraveRight, Invoice | None]:
    _own(tenant, right)
    years = _years(years)
    _active(right)
    grave_type = right.plot.grave_type
    if not grave_type.extendable:
        raise ValidationFailed(
            not_extendable_message(grave_type), {"years": [not_extendable_message(grave_type)]}
        )
    errors: dict[str, list] = {}
    reason = _text(errors, "reason", reason, 500)
    _raise(errors)
    before = snapshot(right)
    old_end = right.end_date
    right.end_date = add_years(old_end, years)
    right.expiry_notified_at = None
    right.updated_at = now
    invoice = None
    if bill:
        invoice = fees.bill(
            tenant, fees.extension_fee(tenant, grave_type, years), contact=right.holder, now=now
        )
    _event(
        tenant,
        actor,
        right,
        "extended",
        local_today(tenant, now),
        now,
        years=years,
        invoice=invoice,
        note=reason,
        old_end=old_end.isoformat(),
        new_end=right.end_date.isoformat(),
    )
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "grave_right.extend",
        right,
        before=before,
        after=snapshot(right),
        reason=reason,
        now=now,
    )
    return right, invoice


def extend_right(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    years: int,
    *,
    now: datetime | None = None,
    bill: bool = True,
    reason: str | None = None,
) -> tuple[GraveRight, Invoice | None]:
    """Extend an active right by whole ``years`` (1–100) from its end;
    only for extendable grave types (else 422). Billed per year
    (``fees.extension_fee``) to the holder; the expiry letter is due anew.
    Staff, or the holder themself (the family portal)."""
    if actor is None or not is_holder(actor, right) or right.tenant_id != tenant.id:
        require_manage(tenant, actor)
    return _extend(tenant, actor, right, years, now=now or utcnow(), bill=bill, reason=reason)


def years_until(right: GraveRight, until: Any) -> int:
    """The whole years an extension needs so that ``right`` lasts until
    ``until`` (a year begun counts in full); 422 (field ``until``) when
    that day is not after the right's end."""
    if not isinstance(until, date) or isinstance(until, datetime):
        raise ValidationFailed(CHECK, {"until": [_l("Bitte ein Datum angeben.")]})
    if until.year > right.end_date.year + TERM_MAX:
        raise ValidationFailed(
            CHECK, {"until": [_l("Höchstens %(years)d Jahre auf einmal.", years=TERM_MAX)]}
        )
    years = years_to_cover(right.end_date, until)
    if years < 1:
        raise ValidationFailed(CHECK, {"until": [_l("Das Nutzungsrecht läuft bis dahin schon.")]})
    if years > TERM_MAX:
        raise ValidationFailed(
            CHECK, {"until": [_l("Höchstens %(years)d Jahre auf einmal.", years=TERM_MAX)]}
        )
    return years


def transfer_right(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    new_holder: Contact,
    *,
    on: date,
    now: datetime | None = None,
    bill: bool = True,
    relation: str | None = None,
    successor: Contact | None = None,
) -> GraveRight:
    """Hand the right to ``new_holder`` (Umschreibung, e.g. the successor
    after the holder's death; ``relation`` as the clerk noted it); the
    administrative fee "transfer" is billed to the new holder."""
    require_manage(tenant, actor)
    now = now or utcnow()
    _own(tenant, right)
    _own(tenant, new_holder)
    _active(right)
    errors: dict[str, list] = {}
    relation = _text(errors, "relation", relation, 200)
    if new_holder.id == right.holder_id:
        errors["holder"] = [_l("Das ist schon die nutzungsberechtigte Person.")]
    if not isinstance(on, date) or isinstance(on, datetime):
        errors["on"] = [_l("Bitte ein Datum angeben.")]
    elif not right.start_date <= on <= now.astimezone(tenant_zone(tenant)).date():
        errors["on"] = [_l("Die Übertragung liegt zwischen Beginn des Nutzungsrechts und heute.")]
    _raise(errors)
    before = snapshot(right)
    old = right.holder
    right.holder = new_holder
    if successor is not None:
        _own(tenant, successor)
        right.successor = successor
    elif right.successor_id == new_holder.id:
        right.successor = None
    right.updated_at = now
    right.expiry_notified_at = None
    invoice = None
    if bill:
        invoice = fees.bill(tenant, fees.admin_fee(tenant, "transfer"), contact=new_holder, now=now)
    _event(
        tenant,
        actor,
        right,
        "transferred",
        on,
        now,
        invoice=invoice,
        note=relation,
        from_holder={"id": old.id, "name": old.name},
        to_holder={"id": new_holder.id, "name": new_holder.name},
    )
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "grave_right.transfer",
        right,
        before=before,
        after=snapshot(right),
        reason=relation,
        now=now,
    )
    return right


def surrender_right(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    *,
    on: date,
    now: datetime | None = None,
    reason: str | None = None,
) -> GraveRight:
    """The holder gives the right up (Verzicht) as of ``on``; refused (422)
    while a rest period on the plot runs."""
    require_manage(tenant, actor)
    return _end(tenant, actor, right, "surrendered", on=on, now=now or utcnow(), reason=reason)


def close_right(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    *,
    on: date,
    now: datetime | None = None,
    reason: str | None = None,
) -> GraveRight:
    """The plot of a right that has ended was cleared (abgeräumt): the right
    is closed and the plot free to be handed out anew. Refused (422) while a
    rest period runs."""
    require_manage(tenant, actor)
    return _end(tenant, actor, right, "closed", on=on, now=now or utcnow(), reason=reason)


def _end(
    tenant: Tenant,
    actor: User | None,
    right: GraveRight,
    status: str,
    *,
    on: date,
    now: datetime,
    reason: str | None,
) -> GraveRight:
    _own(tenant, right)
    _active(right)
    errors: dict[str, list] = {}
    reason = _text(errors, "reason", reason, 500)
    if not isinstance(on, date) or isinstance(on, datetime):
        errors["on"] = [_l("Bitte ein Datum angeben.")]
    elif on > now.astimezone(tenant_zone(tenant)).date():
        # The right ends now: a later day would end it today while a rest
        # period that runs until then still lies under it.
        errors["on"] = [_l("Das Nutzungsrecht endet mit dem heutigen oder einem früheren Tag.")]
    _raise(errors)
    running = rest_running_until(right.plot, on)
    if running is not None:
        message = _l(
            "Die Ruhezeit läuft noch bis %(day)s; bis dahin kann das Nutzungsrecht nicht enden.",
            day=running.strftime("%d.%m.%Y"),
        )
        raise ValidationFailed(message, {"on": [message]})
    before = snapshot(right)
    right.status = status
    right.ended_on = on
    right.updated_at = now
    _event(tenant, actor, right, status, on, now, note=reason)
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "grave_right.surrender" if status == "surrendered" else "grave_right.close",
        right,
        before=before,
        after=snapshot(right),
        reason=reason,
        now=now,
    )
    return right


# --- the burial rule ----------------------------------------------------------------


def right_for_burial(
    tenant: Tenant,
    actor: User | None,
    plot: Plot,
    *,
    rest_until: date,
    burial_date: date,
    holder: Contact | None,
    now: datetime,
    bill: bool = True,
    dry_run: bool = False,
) -> tuple[GraveRight | None, int]:
    """The right a burial on ``plot`` rests under, so that its rest period
    (to ``rest_until``) ends inside it: the active right as it is, or
    extended by the whole years needed (extendable types, billed), else a
    422 (field ``plot_id``). A plot without a right gets a new one for
    ``holder`` (422, field ``holder``, when None) from ``burial_date`` for
    the grave type's term, longer when the rest period needs it. Returns
    the right and the years it was extended by. No role check: the caller
    (a burial request) decided who may ask. ``dry_run``: the same checks,
    nothing changed or billed (a funeral home's request; the right follows
    when a clerk confirms): the active right or None, and the years it will
    need."""
    _own(tenant, plot)
    right = active_right(plot)
    if right is None:
        if holder is None:
            raise ValidationFailed(
                CHECK,
                {
                    "holder": [
                        _l("Für eine neue Grabstätte wird die nutzungsberechtigte Person benötigt.")
                    ]
                },
            )
        years = max(plot.grave_type.default_term_years, years_to_cover(burial_date, rest_until))
        if dry_run:
            return None, 0
        right = _acquire(
            tenant,
            actor,
            plot,
            holder,
            start=burial_date,
            years=years,
            certificate_number=None,
            successor=None,
            now=now,
            bill=bill,
        )
        return right, 0
    if rest_until <= right.end_date:
        return right, 0
    grave_type = plot.grave_type
    if not grave_type.extendable:
        message = _l(
            "Die Ruhezeit (bis %(rest)s) würde das Nutzungsrecht (bis %(end)s) überdauern; "
            "das Nutzungsrecht an einem %(type)s kann nicht verlängert werden. Bitte eine "
            "andere Grabstätte wählen.",
            rest=rest_until.strftime("%d.%m.%Y"),
            end=right.end_date.strftime("%d.%m.%Y"),
            type=grave_type.name,
        )
        raise ValidationFailed(message, {"plot_id": [message]})
    years = years_to_cover(right.end_date, rest_until)
    if dry_run:
        return right, years
    _extend(
        tenant,
        actor,
        right,
        years,
        now=now,
        bill=bill,
        reason=str(
            _l("Ruhezeit einer Bestattung bis %(day)s", day=rest_until.strftime("%d.%m.%Y"))
        ),
    )
    return right, years


# --- Reihengrab allocation ----------------------------------------------------------


def _free_plots(
    tenant: Tenant, cemetery: Cemetery, grave_type: GraveType, kind: str, on: date
) -> Any:
    places = (
        func.coalesce(Plot.coffin_places, grave_type.coffin_places)
        if kind == "coffin"
        else func.coalesce(Plot.urn_places, grave_type.urn_places)
    )
    has_right = exists().where(GraveRight.plot_id == Plot.id, GraveRight.status == "active")
    resting = exists().where(
        Burial.plot_id == Plot.id,
        Burial.status.in_(ACTIVE_BURIAL_STATUSES),
        Burial.rest_until >= on,
    )
    return (
        select(Plot)
        .outerjoin(Section, Section.id == Plot.section_id)
        .where(
            plots_of(tenant),
            Plot.cemetery_id == cemetery.id,
            Plot.grave_type_id == grave_type.id,
            Plot.blocked.is_(False),
            places > 0,
            ~has_right,
            ~resting,
        )
        .order_by(Section.name, Plot.sort_key, Plot.code)
    )


def allocate_plot(
    tenant: Tenant, cemetery: Cemetery, grave_type: GraveType, kind: str, on: date
) -> Plot:
    """The next Reihengrab: the free plot of ``grave_type`` with the lowest
    (section, sort key, code) that has a place for ``kind`` on ``on``; 409
    when there is none. Race-safe: the chosen plot is locked (``FOR UPDATE``
    on PostgreSQL, checked again once the lock is held; SQLite's writing
    transaction holds the database's write lock) until the caller's
    transaction ends, so two allocations never get the same plot."""
    if grave_type.tenant_id != tenant.id or cemetery.tenant_id != tenant.id:
        raise ValidationFailed(CHECK, {"grave_type": [_l("Unbekannte Grabart.")]})
    skipped: list[int] = []
    while True:
        query = _free_plots(tenant, cemetery, grave_type, kind, on)
        if skipped:
            query = query.where(Plot.id.not_in(skipped))
        plot = db.session.scalars(query.limit(1).with_for_update(of=Plot)).first()
        if plot is None:
            raise Conflict(
                _l(
                    "Auf diesem Friedhof ist keine Grabstätte der Art %(type)s frei.",
                    type=grave_type.name,
                ),
                {"fields": {"grave_type": [_l("Keine freie Grabstätte dieser Art.")]}},
            )
        # The lock is held now: another transaction that allocated this plot
        # before has committed its right or burial, and a fresh look sees it.
        taken = db.session.scalar(
            select(
                or_(
                    exists().where(GraveRight.plot_id == plot.id, GraveRight.status == "active"),
                    exists().where(
                        and_(
                            Burial.plot_id == plot.id,
                            Burial.status.in_(ACTIVE_BURIAL_STATUSES),
                            Burial.rest_until >= on,
                        )
                    ),
                )
            )
        )
        if not taken:
            return plot
        skipped.append(plot.id)
