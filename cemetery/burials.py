"""Burials (Bestattungen) and their appointments: a funeral home requests,
a clerk confirms or proposes another time, either side cancels.

An appointment books the cemetery's chapel (for the ceremony, when there is
one) and its crew (``burial_minutes`` after the ceremony) through the
conflict engine: ``reservations.checks.check_periods`` (conflicts only — the
cemetery's own rules below replace the resources' booking rules), then
``engine.insert_booking`` with ``origin="burial"`` and ``engine.write_claims``;
on PostgreSQL the exclusion constraint decides a race (``ClaimsTaken`` → 409).
Both bookings claim from the request on and stand as ``confirmed`` bookings
(the hall approval queue never lists them); the burial's own status says
whether the clerk confirmed it.

The cemetery's rules for an appointment (``check_appointment``): the start
lies in ``burial_hours`` of its local weekday, not on a Sunday or a public
holiday of the tenant's state, at least the lead time (working days, Mon–Fri
without holidays, counted after the request's local day) ahead, and the day
has room under ``burials_per_day`` (requested and confirmed burials; the
cemetery row is locked first, so two requests cannot both take the last
one). Clerks are bound by them too; only ``past=True`` (a burial taken over
from the old register) has no appointment at all.

Fees: the burial fee (``cemetery.fees.burial_fee``) is billed when the
burial is confirmed (by a clerk, by accepting a clerk's proposal, or at
once when a clerk enters it), not at the request, so a request that is
never confirmed costs nothing; a cancellation cancels that invoice. The
right a burial needs (new, or extended to cover the rest period) is settled
at the request through ``cemetery.rights.right_for_burial`` and billed there.

``done`` is derived: ``status_of(burial, today)`` shows a confirmed burial
whose day has passed as done; ``mark_done`` stores it (for a job).

Services only flush; the request, CLI command or job commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from booking.accounts.access import is_staff
from booking.accounts.models import User
from booking.accounts.service import users_with_role
from booking.audit import service as audit
from booking.core import (
    NOTE_MAX,
    REASON_MAX,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    clean_text,
    utcnow,
)
from booking.extensions import db
from booking.fees import invoices
from booking.fees.models import Invoice
from booking.notifications.service import notify
from booking.reservations import engine
from booking.reservations.checks import check_periods, conflict
from booking.reservations.errors import conflict_items
from booking.reservations.models import Booking
from booking.resources.availability import is_holiday
from booking.resources.models import Resource
from booking.tenants.localtime import local_today, tenant_zone
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, scoped
from cemetery import fees, register, rights, rules
from cemetery.access import can_cancel_burial, can_manage_cemetery, can_request_burial
from cemetery.models import (
    BURIAL_KINDS,
    Burial,
    Cemetery,
    Contact,
    GraveType,
    Plot,
)
from cemetery.register import CHECK, _raise, _text

NAME_MAX = 200
CEREMONY_MAX = 240  # minutes of a ceremony in the chapel
# Burials that count against the day's limit and hold their appointment.
BOOKED_STATUSES = ("requested", "confirmed")
STAFF_ROLES = ("clerk", "admin")
BURIAL_MESSAGE = _l(
    "Dieser Termin gehört zu einer Bestattung und wird in der Friedhofsverwaltung geändert."
)


# --- small helpers ------------------------------------------------------------------


def _date(errors: dict[str, list], name: str, value: Any, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            errors[name] = [_l("Pflichtangabe.")]
        return None
    if isinstance(value, datetime):
        errors[name] = [_l("Bitte ein Datum angeben.")]
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[name] = [_l("Bitte ein gültiges Datum angeben (JJJJ-MM-TT).")]
    return None


def _own(tenant: Tenant, obj: Any) -> None:
    if obj is None or obj.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))


def get_burial(tenant: Tenant, burial_id: Any) -> Burial:
    """The tenant's burial ``burial_id`` (404 otherwise)."""
    return get_scoped(Burial, tenant, burial_id)


def snapshot(burial: Burial) -> dict[str, Any]:
    """A burial as the audit log keeps it."""
    return {
        "status": burial.status,
        "plot_id": burial.plot_id,
        "place": burial.place,
        "kind": burial.kind,
        "burial_date": burial.burial_date.isoformat(),
        "start": burial.start_at.astimezone(UTC).isoformat() if burial.start_at else None,
        "proposed": (
            burial.proposed_start_at.astimezone(UTC).isoformat()
            if burial.proposed_start_at
            else None
        ),
        "rest_until": burial.rest_until.isoformat(),
    }


def status_of(burial: Burial, today: date) -> str:
    """The burial's status as shown: a confirmed burial whose day has passed
    is ``done`` even before ``mark_done`` stored it."""
    if burial.status == "confirmed" and burial.burial_date < today:
        return "done"
    return burial.status


def mark_done(tenant: Tenant, today: date) -> int:
    """Store ``done`` for the tenant's confirmed burials before ``today``
    (for a daily job); returns how many."""
    result = db.session.execute(
        update(Burial)
        .where(
            Burial.tenant_id == tenant.id,
            Burial.status == "confirmed",
            Burial.burial_date < today,
        )
        .values(status="done")
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


# --- appointment rules --------------------------------------------------------------


def is_working_day(tenant: Tenant, day: date) -> bool:
    """Mon–Fri and no public holiday of the tenant's state."""
    return day.weekday() < 5 and not is_holiday(tenant, day)


def lead_days(cemetery: Cemetery, kind: str) -> int:
    return cemetery.lead_days_coffin if kind == "coffin" else cemetery.lead_days_urn


def first_allowed_day(tenant: Tenant, cemetery: Cemetery, kind: str, today: date) -> date:
    """The first day a burial requested on ``today`` may take place: at
    least ``lead_days`` working days after ``today`` (``today`` itself with
    a lead time of 0)."""
    needed = lead_days(cemetery, kind)
    day = today
    while needed > 0:
        day += timedelta(days=1)
        if is_working_day(tenant, day):
            needed -= 1
    return day


def hours_of(cemetery: Cemetery, day: date) -> list[tuple[int, int]]:
    """``[from, to)`` minute ranges in which a burial may start on ``day``."""
    hours = cemetery.burial_hours or {}
    return [(int(a), int(b)) for a, b in hours.get(str(day.weekday()), [])]


def day_closed(tenant: Tenant, day: date) -> bool:
    """Sundays and public holidays have no burials."""
    return day.weekday() == 6 or is_holiday(tenant, day)


def periods_of(
    cemetery: Cemetery, start: datetime, ceremony_minutes: int
) -> tuple[tuple[datetime, datetime] | None, tuple[datetime, datetime]]:
    """The chapel's period (None without a ceremony) and the crew's: the
    ceremony from ``start``, then the burial itself (``burial_minutes``)."""
    chapel = None
    crew_start = start
    if ceremony_minutes > 0:
        crew_start = start + timedelta(minutes=ceremony_minutes)
        chapel = (start, crew_start)
    return chapel, (crew_start, crew_start + timedelta(minutes=cemetery.burial_minutes))


def booked_count(cemetery: Cemetery, day: date, *, excluding: int | None = None) -> int:
    """Requested and confirmed burials of the cemetery on ``day``."""
    query = select(func.count(Burial.id)).where(
        Burial.cemetery_id == cemetery.id,
        Burial.burial_date == day,
        Burial.status.in_(BOOKED_STATUSES),
        Burial.start_at.is_not(None),
    )
    if excluding is not None:
        query = query.where(Burial.id != excluding)
    return db.session.scalar(query) or 0


def lock_cemetery(cemetery: Cemetery) -> None:
    """Serialise appointments of one cemetery (PostgreSQL: the cemetery row
    locked ``FOR UPDATE`` until the transaction ends; SQLite's writing
    transaction holds the database's write lock already)."""
    db.session.execute(select(Cemetery.id).where(Cemetery.id == cemetery.id).with_for_update())


def check_appointment(
    tenant: Tenant,
    cemetery: Cemetery,
    kind: str,
    start: datetime,
    *,
    now: datetime,
    excluding: int | None = None,
) -> date:
    """422 (field ``start``) unless ``start`` keeps the cemetery's rules;
    returns its local day. Locks the cemetery before counting the day."""
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise ValidationFailed(CHECK, {"start": [_l("Bitte einen Zeitpunkt mit Zeitzone.")]})
    zone = tenant_zone(tenant)
    local = start.astimezone(zone)
    day = local.date()
    minute = local.hour * 60 + local.minute

    def refuse(message: Any) -> None:
        raise ValidationFailed(message, {"start": [message]})

    if start <= now:
        refuse(_l("Der Termin liegt in der Vergangenheit."))
    if day.weekday() == 6:
        refuse(_l("Sonntags finden keine Bestattungen statt."))
    if is_holiday(tenant, day):
        refuse(_l("An Feiertagen finden keine Bestattungen statt."))
    ranges = hours_of(cemetery, day)
    if not any(a <= minute < b for a, b in ranges) or local.second or local.microsecond:
        if ranges:
            hours = ", ".join(
                f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}" for a, b in ranges
            )
            refuse(_l("Bestattungen beginnen an diesem Tag nur %(hours)s Uhr.", hours=hours))
        refuse(_l("An diesem Wochentag finden keine Bestattungen statt."))
    first = first_allowed_day(tenant, cemetery, kind, local_today(tenant, now))
    if day < first:
        refuse(
            _l(
                "Die Vorlaufzeit beträgt %(days)d Werktage: frühestens am %(day)s.",
                days=lead_days(cemetery, kind),
                day=first.strftime("%d.%m.%Y"),
            )
        )
    lock_cemetery(cemetery)
    if booked_count(cemetery, day, excluding=excluding) >= cemetery.burials_per_day:
        refuse(
            _l(
                "An diesem Tag sind schon %(count)d Bestattungen eingeplant (höchstens %(count)d).",
                count=cemetery.burials_per_day,
            )
        )
    return day


# --- the bookings of the chapel and the crew -------------------------------------------


def _title(burial: Burial) -> str:
    return f"Bestattung {burial.deceased_name}"[:200]


def _book(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    period: tuple[datetime, datetime],
    title: str,
    now: datetime,
    note: str | None = None,
) -> Booking:
    """A confirmed booking of ``resource`` for ``period`` (origin
    ``burial``), its claims written: 409 when taken (on PostgreSQL the
    exclusion constraint decides a race)."""
    checked = check_periods(
        tenant,
        actor,
        resource,
        [period],
        now=now,
        rules=False,
        suggest=False,
        constraint_decides=True,
    )
    booking = engine.insert_booking(
        resource,
        origin="burial",
        status="confirmed",
        title=title,
        note=note,
        user_id=actor.id if actor is not None else None,
        now=now,
    )
    occurrences = engine.insert_occurrences(booking, checked.dates, now)
    try:
        engine.write_claims(resource, checked.units, occurrences)
    except engine.ClaimsTaken as taken:
        items = conflict_items(taken.hits, checked.dates)
        db.session.delete(booking)
        db.session.flush()
        raise conflict(tenant, resource, items, now=now, suggest=False) from None
    return booking


def booking_note(burial: Burial) -> str:
    """What the staff feed and the day's bookings say about the burial
    (the feed's DESCRIPTION shows a booking's note): plot, place, kind."""
    section = burial.plot.section.name if burial.plot.section else None
    where = f"{burial.plot.code} ({section})" if section else burial.plot.code
    return str(
        _l(
            "Grabstätte %(plot)s, Platz %(place)d, %(kind)s",
            plot=where,
            place=burial.place,
            kind=KIND_NAMES[burial.kind],
        )
    )


def _book_appointment(tenant: Tenant, actor: User | None, burial: Burial, now: datetime) -> None:
    cemetery = burial.cemetery
    chapel_period, crew_period = periods_of(cemetery, burial.start_at, burial.ceremony_minutes)
    title = _title(burial)
    note = booking_note(burial)
    if chapel_period is not None:
        burial.chapel_booking_id = _book(
            tenant, actor, cemetery.chapel, chapel_period, title, now, note
        ).id
    burial.crew_booking_id = _book(tenant, actor, cemetery.crew, crew_period, title, now, note).id


def bookings_of(burial: Burial) -> list[Booking]:
    ids = [i for i in (burial.chapel_booking_id, burial.crew_booking_id) if i is not None]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Booking).where(Booking.id.in_(ids)).options(selectinload(Booking.occurrences))
        )
    )


def _move_appointment(tenant: Tenant, burial: Burial, start: datetime, now: datetime) -> None:
    """Move the chapel's and the crew's claims to ``start`` through the engine
    (409 when taken; nothing moved then)."""
    cemetery = burial.cemetery
    chapel_period, crew_period = periods_of(cemetery, start, burial.ceremony_minutes)
    pairs = []
    by_id = {b.id: b for b in bookings_of(burial)}
    if burial.chapel_booking_id in by_id and chapel_period is not None:
        pairs.append((by_id[burial.chapel_booking_id], chapel_period))
    if burial.crew_booking_id in by_id:
        pairs.append((by_id[burial.crew_booking_id], crew_period))
    for booking, period in pairs:
        occurrence = booking.active_occurrences[0]
        resource = booking.resource
        check_periods(
            tenant,
            None,
            resource,
            [period],
            now=now,
            rules=False,
            suggest=False,
            exclude_occurrence_ids=[occurrence.id],
        )
        occurrence.start_at, occurrence.end_at = period
        occurrence.sequence = (occurrence.sequence or 0) + 1
        occurrence.updated_at = now
        booking.updated_at = now
        db.session.flush()
        try:
            engine.move_claims(resource, occurrence)
        except engine.ClaimsTaken as taken:
            items = conflict_items(taken.hits, [period])
            raise conflict(tenant, resource, items, now=now, suggest=False) from None


def _end_appointment(burial: Burial, reason: str | None, now: datetime) -> None:
    from booking.reservations.service import end_dates

    for booking in bookings_of(burial):
        end_dates(booking.active_occurrences, reason, now)
        booking.status = "cancelled"
        booking.updated_at = now


# --- creating -----------------------------------------------------------------------


@dataclass
class _Deceased:
    name: str
    born: date | None
    died: date


def _checked_deceased(errors: dict[str, list], deceased: Any, today: date) -> _Deceased | None:
    if not isinstance(deceased, Mapping):
        errors["deceased"] = [_l("Bitte Name und Sterbedatum der verstorbenen Person angeben.")]
        return None
    name = _text(errors, "deceased.name", deceased.get("name"), NAME_MAX, required=True)
    born = _date(errors, "deceased.born", deceased.get("born"), required=False)
    died = _date(errors, "deceased.died", deceased.get("died"), required=True)
    if died is not None and died > today:
        errors["deceased.died"] = [_l("Das Sterbedatum liegt in der Zukunft.")]
    if born is not None and died is not None and born > died:
        errors["deceased.born"] = [_l("Das Geburtsdatum liegt nach dem Sterbedatum.")]
    if name is None or died is None or errors:
        return None
    return _Deceased(name, born, died)


def checked_holder(
    tenant: Tenant, holder: Contact | Mapping | None, *, fill: bool = True
) -> Contact | None:
    """A holder given as a contact or as ``{name, street, postcode, city,
    email}`` (found or created; ``fill``: an existing contact's missing
    e-mail and phone are filled in — staff only); 422 with fields
    ``holder.<name>``."""
    if holder is None or isinstance(holder, Contact):
        if holder is not None:
            _own(tenant, holder)
        return holder
    if not isinstance(holder, Mapping):
        raise ValidationFailed(CHECK, {"holder": [_l("Bitte Name und Anschrift angeben.")]})
    values = {k: holder.get(k) for k in ("name", "street", "postcode", "city", "email", "phone")}
    if not any(clean_text(v) if isinstance(v, str) else v for v in values.values()):
        return None
    try:
        return rights.find_or_create_contact(tenant, **values, fill=fill)
    except ValidationFailed as error:
        raise ValidationFailed(
            CHECK, {f"holder.{name}": messages for name, messages in error.fields.items()}
        ) from None


def _checked_plot(
    tenant: Tenant,
    cemetery: Cemetery,
    errors: dict[str, list],
    plot: Plot | None,
    grave_type: GraveType | str | None,
) -> tuple[Plot | None, GraveType | None]:
    if (plot is None) == (grave_type is None):
        errors["plot_id"] = [_l("Bitte eine Grabstätte oder eine Grabart angeben.")]
        return None, None
    if plot is not None:
        if plot.tenant_id != tenant.id or plot.cemetery_id != cemetery.id:
            errors["plot_id"] = [_l("Diese Grabstätte gehört nicht zu diesem Friedhof.")]
            return None, None
        if plot.blocked:
            errors["plot_id"] = [_l("Diese Grabstätte ist gesperrt.")]
        return plot, None
    if isinstance(grave_type, str):
        try:
            grave_type = register.grave_type_by_key(tenant, grave_type)
        except ValidationFailed as error:
            errors.update(error.fields)
            return None, None
    if grave_type.tenant_id != tenant.id:
        errors["grave_type"] = [_l("Unbekannte Grabart.")]
        return None, None
    if not grave_type.allocated_in_order:
        errors["grave_type"] = [
            _l("Bei der Grabart %(type)s bitte eine freie Grabstätte wählen.", type=grave_type.name)
        ]
        return None, None
    return None, grave_type


def create_burial(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    *,
    kind: str,
    deceased: Mapping[str, Any],
    plot: Plot | None = None,
    grave_type: GraveType | str | None = None,
    start: datetime | None = None,
    ceremony_minutes: int = 0,
    public_listing: bool = False,
    holder: Contact | Mapping | None = None,
    funeral_home_name: str | None = None,
    note: str | None = None,
    past: bool = False,
    burial_date: date | None = None,
    now: datetime | None = None,
) -> Burial:
    """Request (funeral home) or enter (clerk: confirmed at once) a burial.

    ``plot`` (a chosen grave) or ``grave_type`` (a Reihengrab, allocated in
    order); the place must be free on the burial's day (409 "plot
    occupied"); the rest period must end inside the grave right, which is
    extended or acquired for ``holder`` (``rights.right_for_burial``). Not
    ``past``: ``start`` must keep the appointment rules and the chapel (with
    a ceremony) and the crew are booked (409 when taken). ``past=True``
    (staff only): a burial from the old register on ``burial_date`` (or the
    day of ``start``), done, without appointment or fees."""
    now = now or utcnow()
    _own(tenant, cemetery)
    staff = actor is None or can_manage_cemetery(actor, tenant)
    if actor is not None and not can_request_burial(actor, tenant):
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))
    if past and not staff:
        raise Forbidden(_l("Nur die Friedhofsverwaltung erfasst vergangene Bestattungen."))
    today = local_today(tenant, now)
    errors: dict[str, list] = {}
    if kind not in BURIAL_KINDS:
        errors["kind"] = [_l("Sarg oder Urne.")]
    person = _checked_deceased(errors, deceased, today)
    if isinstance(ceremony_minutes, bool) or not isinstance(ceremony_minutes, int):
        errors["ceremony_minutes"] = [_l("Bitte eine ganze Zahl angeben.")]
    elif not 0 <= ceremony_minutes <= CEREMONY_MAX:
        errors["ceremony_minutes"] = [
            _l("Bitte eine Zahl von %(low)d bis %(high)d.", low=0, high=CEREMONY_MAX)
        ]
    elif ceremony_minutes and cemetery.chapel is None:
        errors["ceremony_minutes"] = [_l("Dieser Friedhof hat keine Trauerhalle.")]
    if not isinstance(public_listing, bool):
        errors["public_listing"] = [_l("Ja oder nein.")]
    note = _text(errors, "note", note, NOTE_MAX)
    home_name = _text(errors, "funeral_home_name", funeral_home_name, NAME_MAX)
    if not past:
        if start is None:
            errors["start"] = [_l("Bitte einen Termin wählen.")]
        elif not isinstance(start, datetime) or start.tzinfo is None:
            errors["start"] = [_l("Bitte einen Zeitpunkt mit Zeitzone.")]
        elif cemetery.crew is None:
            errors["start"] = [_l("Für diesen Friedhof ist kein Friedhofsteam eingerichtet.")]
        else:
            burial_date = start.astimezone(tenant_zone(tenant)).date()
    else:
        if start is not None:
            if not isinstance(start, datetime) or start.tzinfo is None:
                errors["start"] = [_l("Bitte einen Zeitpunkt mit Zeitzone.")]
            else:
                burial_date = start.astimezone(tenant_zone(tenant)).date()
        elif not isinstance(burial_date, date) or isinstance(burial_date, datetime):
            errors["burial_date"] = [_l("Bitte das Datum der Bestattung angeben.")]
        if burial_date is not None and "start" not in errors and burial_date > today:
            errors["burial_date"] = [_l("Eine vergangene Bestattung liegt nicht in der Zukunft.")]
    if (
        person is not None
        and isinstance(burial_date, date)
        and "start" not in errors
        and burial_date < person.died
    ):
        errors["start"] = [_l("Die Bestattung liegt vor dem Sterbedatum.")]
    plot, grave_type = _checked_plot(tenant, cemetery, errors, plot, grave_type)
    _raise(errors)
    holder_contact = checked_holder(tenant, holder, fill=staff)
    if not past:
        check_appointment(tenant, cemetery, kind, start, now=now)
    if plot is None:
        plot = rights.allocate_plot(tenant, cemetery, grave_type, kind, burial_date)
    else:
        # One burial at a time on a plot (its places are counted next).
        db.session.execute(select(Plot.id).where(Plot.id == plot.id).with_for_update())
    if register.capacity(plot, kind) == 0:
        raise ValidationFailed(
            CHECK,
            {
                "kind": [
                    _l("Diese Grabstätte hat keinen Platz für %(kind)s.", kind=KIND_LABELS[kind])
                ]
            },
        )
    place = register.free_place(plot, kind, burial_date)
    if place is None:
        raise Conflict(
            _l("Die Grabstätte ist belegt: Auf ihr läuft noch eine Ruhezeit."),
            {"fields": {"plot_id": [_l("Kein freier Platz an diesem Tag.")]}},
        )
    rest_until = rules.rest_until(
        cemetery, kind, burial_date, person.died, person.born, plot.grave_type
    )
    # A funeral home's request only checks the right (it changes and bills
    # nothing); the right is acquired or extended when a clerk confirms.
    right, _years = rights.right_for_burial(
        tenant,
        actor,
        plot,
        rest_until=rest_until,
        burial_date=burial_date,
        holder=holder_contact,
        now=now,
        bill=not past,
        dry_run=not (staff or past),
    )
    status = "done" if past else ("confirmed" if staff else "requested")
    if home_name is None and actor is not None and not staff:
        home_name = actor.name or actor.email
    burial = Burial(
        tenant_id=tenant.id,
        cemetery_id=cemetery.id,
        plot_id=plot.id,
        right_id=right.id if right is not None else None,
        holder_id=holder_contact.id if holder_contact is not None else None,
        kind=kind,
        place=place,
        deceased_name=person.name,
        deceased_name_key=register.name_key(person.name),
        deceased_born=person.born,
        deceased_died=person.died,
        burial_date=burial_date,
        start_at=None if past else start,
        ceremony_minutes=0 if past else ceremony_minutes,
        rest_until=rest_until,
        public_listing=public_listing,
        status=status,
        requested_by_id=actor.id if actor is not None else None,
        funeral_home_name=home_name,
        note=note,
        created_at=now,
        updated_at=now,
        confirmed_at=now if status == "confirmed" else None,
    )
    burial.cemetery = cemetery
    burial.plot = plot
    db.session.add(burial)
    db.session.flush()
    if not past:
        _book_appointment(tenant, actor, burial, now)
        if status == "confirmed":
            _bill(tenant, burial, now)
    audit.record(tenant, actor, "burial.create", burial, after=snapshot(burial), now=now)
    db.session.flush()
    if not past:
        _notify(
            tenant,
            burial,
            "burial_requested" if status == "requested" else "burial_confirmed",
            actor=actor,
            now=now,
        )
    return burial


KIND_LABELS = {"coffin": _l("einen Sarg"), "urn": _l("eine Urne")}
KIND_NAMES = {"coffin": _l("Sarg"), "urn": _l("Urne")}


def _bill(tenant: Tenant, burial: Burial, now: datetime) -> Invoice | None:
    """The burial fee, billed to the right's holder (seen by the funeral home
    that asked, when the holder has no account)."""
    if burial.invoice_id is not None or burial.start_at is None:
        return None
    local = burial.start_at.astimezone(tenant_zone(tenant))
    fee = fees.burial_fee(
        tenant,
        kind=burial.kind,
        chapel=burial.ceremony_minutes > 0,
        saturday=local.weekday() == 5,
    )
    holder = burial.right.holder if burial.right is not None else None
    invoice = fees.bill(
        tenant,
        fee,
        contact=holder,
        user_id=burial.requested_by_id,
        recipient_name=burial.funeral_home_name,
        now=now,
    )
    if invoice is not None:
        burial.invoice_id = invoice.id
    return invoice


# --- status changes -----------------------------------------------------------------


def _require_staff(tenant: Tenant, actor: User | None) -> None:
    if actor is not None and not can_manage_cemetery(actor, tenant):
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))


def _require_status(burial: Burial, allowed: tuple[str, ...], message: Any) -> None:
    if burial.status not in allowed:
        raise ValidationFailed(message, {"status": [message]})


def _settle_right(tenant: Tenant, actor: User | None, burial: Burial, now: datetime) -> None:
    """On confirmation: the plot is not blocked (it may have been since the
    request), and the right is acquired for the holder named in the request
    or extended so that the rest period ends inside it (billed)."""
    if burial.plot.blocked:
        message = _l(
            "Die Grabstätte ist gesperrt: %(reason)s", reason=burial.plot.blocked_reason or "–"
        )
        raise ValidationFailed(message, {"plot_id": [message]})
    holder = burial.holder or (burial.right.holder if burial.right is not None else None)
    right, _years = rights.right_for_burial(
        tenant,
        actor,
        burial.plot,
        rest_until=burial.rest_until,
        burial_date=burial.burial_date,
        holder=holder,
        now=now,
    )
    burial.right_id = right.id if right is not None else None


def confirm_burial(
    tenant: Tenant, actor: User | None, burial: Burial, *, now: datetime | None = None
) -> Burial:
    """A clerk confirms a requested burial at its requested time (a pending
    proposal is dropped); the fee is billed, the funeral home told."""
    now = now or utcnow()
    _own(tenant, burial)
    _require_staff(tenant, actor)
    if burial.status == "confirmed":
        return burial
    _require_status(
        burial, ("requested",), _l("Nur angefragte Bestattungen können bestätigt werden.")
    )
    before = snapshot(burial)
    _settle_right(tenant, actor, burial, now)
    burial.status = "confirmed"
    burial.proposed_start_at = None
    burial.confirmed_at = now
    burial.updated_at = now
    _bill(tenant, burial, now)
    audit.record(
        tenant, actor, "burial.confirm", burial, before=before, after=snapshot(burial), now=now
    )
    db.session.flush()
    _notify(tenant, burial, "burial_confirmed", actor=actor, now=now)
    return burial


def propose_time(
    tenant: Tenant,
    actor: User | None,
    burial: Burial,
    start: datetime,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Burial:
    """A clerk proposes another start for a requested burial; it keeps the
    appointment rules and the chapel and the crew must be free then (409
    otherwise). The funeral home accepts it (``accept_proposal``)."""
    now = now or utcnow()
    _own(tenant, burial)
    _require_staff(tenant, actor)
    _require_status(
        burial,
        ("requested",),
        _l("Nur für angefragte Bestattungen kann ein anderer Termin vorgeschlagen werden."),
    )
    errors: dict[str, list] = {}
    why = _text(errors, "reason", reason, REASON_MAX)
    _raise(errors)
    day = check_appointment(
        tenant, burial.cemetery, burial.kind, start, now=now, excluding=burial.id
    )
    if day < burial.deceased_died:
        raise ValidationFailed(CHECK, {"start": [_l("Die Bestattung liegt vor dem Sterbedatum.")]})
    _check_free(tenant, burial, start, now)
    before = snapshot(burial)
    burial.proposed_start_at = start
    burial.updated_at = now
    audit.record(
        tenant,
        actor,
        "burial.propose",
        burial,
        before=before,
        after=snapshot(burial),
        reason=why,
        now=now,
    )
    db.session.flush()
    _notify(tenant, burial, "burial_proposed", actor=actor, now=now, reason=why)
    return burial


def _check_free(tenant: Tenant, burial: Burial, start: datetime, now: datetime) -> None:
    """409 unless the chapel and the crew are free for ``start`` (its own
    claims do not count)."""
    cemetery = burial.cemetery
    chapel_period, crew_period = periods_of(cemetery, start, burial.ceremony_minutes)
    own = [o.id for b in bookings_of(burial) for o in b.occurrences]
    if chapel_period is not None and cemetery.chapel is not None:
        check_periods(
            tenant,
            None,
            cemetery.chapel,
            [chapel_period],
            now=now,
            rules=False,
            suggest=False,
            exclude_occurrence_ids=own,
        )
    check_periods(
        tenant,
        None,
        cemetery.crew,
        [crew_period],
        now=now,
        rules=False,
        suggest=False,
        exclude_occurrence_ids=own,
    )


def accept_proposal(
    tenant: Tenant, actor: User | None, burial: Burial, *, now: datetime | None = None
) -> Burial:
    """The funeral home (or a clerk for it) accepts the proposed start: the
    chapel's and the crew's claims move there through the engine (409 when
    taken meanwhile), the rest period follows the new day, the burial is
    confirmed and billed."""
    now = now or utcnow()
    _own(tenant, burial)
    if actor is not None and not (
        can_manage_cemetery(actor, tenant) or burial.requested_by_id == actor.id
    ):
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))
    _require_status(burial, ("requested",), _l("Diese Bestattung wartet auf keine Antwort."))
    if burial.proposed_start_at is None:
        raise ValidationFailed(
            CHECK, {"proposed_start": [_l("Es liegt kein anderer Terminvorschlag vor.")]}
        )
    start = burial.proposed_start_at
    day = check_appointment(
        tenant, burial.cemetery, burial.kind, start, now=now, excluding=burial.id
    )
    before = snapshot(burial)
    _move_appointment(tenant, burial, start, now)
    burial.start_at = start
    if day != burial.burial_date:
        burial.burial_date = day
        burial.rest_until = rules.rest_until(
            burial.cemetery,
            burial.kind,
            day,
            burial.deceased_died,
            burial.deceased_born,
            burial.plot.grave_type,
        )
        if register.free_place(burial.plot, burial.kind, day, excluding=burial.id) is None:
            raise Conflict(
                _l("Die Grabstätte ist belegt: Auf ihr läuft noch eine Ruhezeit."),
                {"fields": {"plot_id": [_l("Kein freier Platz an diesem Tag.")]}},
            )
    _settle_right(tenant, actor, burial, now)
    burial.proposed_start_at = None
    burial.status = "confirmed"
    burial.confirmed_at = now
    burial.updated_at = now
    _bill(tenant, burial, now)
    audit.record(
        tenant, actor, "burial.accept", burial, before=before, after=snapshot(burial), now=now
    )
    db.session.flush()
    _notify(tenant, burial, "burial_confirmed", actor=actor, now=now)
    return burial


def cancel_burial(
    tenant: Tenant,
    actor: User | None,
    burial: Burial,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Burial:
    """Staff or the requesting funeral home cancel a requested or confirmed
    burial: the chapel and the crew are free again at once (claims released,
    bookings cancelled), the burial's invoice is cancelled. A cancelled
    burial stays cancelled (nothing changes)."""
    now = now or utcnow()
    _own(tenant, burial)
    if burial.status == "cancelled":
        return burial
    if actor is not None and not can_cancel_burial(actor, burial):
        if is_staff(actor, tenant) or burial.requested_by_id == actor.id:
            raise ValidationFailed(
                _l("Diese Bestattung kann nicht mehr abgesagt werden."),
                {"status": [_l("Diese Bestattung kann nicht mehr abgesagt werden.")]},
            )
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))
    errors: dict[str, list] = {}
    why = _text(errors, "reason", reason, REASON_MAX)
    _raise(errors)
    before = snapshot(burial)
    _end_appointment(burial, why, now)
    if burial.invoice_id is not None:
        invoice = db.session.get(Invoice, burial.invoice_id)
        if invoice is not None:
            invoices.cancel_invoice(invoice, now)
    burial.status = "cancelled"
    burial.proposed_start_at = None
    burial.cancel_reason = why
    burial.cancelled_at = now
    burial.updated_at = now
    audit.record(
        tenant,
        actor,
        "burial.cancel",
        burial,
        before=before,
        after=snapshot(burial),
        reason=why,
        now=now,
    )
    db.session.flush()
    _notify(tenant, burial, "burial_cancelled", actor=actor, now=now, reason=why)
    return burial


# --- lists --------------------------------------------------------------------------


def _listing():
    return selectinload(Burial.plot).selectinload(Plot.section), selectinload(Burial.cemetery)


def day_sheet(tenant: Tenant, cemetery: Cemetery, day: date) -> list[Burial]:
    """The day's burials of the cemetery (requested, confirmed, done) by start."""
    _own(tenant, cemetery)
    return list(
        db.session.scalars(
            scoped(Burial, tenant)
            .where(
                Burial.cemetery_id == cemetery.id,
                Burial.burial_date == day,
                Burial.status.in_(("requested", "confirmed", "done")),
            )
            .options(*_listing(), selectinload(Burial.right))
            .order_by(Burial.start_at, Burial.id)
        )
    )


def requests_queue(tenant: Tenant) -> list[Burial]:
    """Requested burials waiting for a clerk, earliest appointment first."""
    return list(
        db.session.scalars(
            scoped(Burial, tenant)
            .where(Burial.status == "requested")
            .options(*_listing())
            .order_by(Burial.start_at, Burial.id)
        )
    )


def burials_of_user(tenant: Tenant, user: User, limit: int = 500) -> list[Burial]:
    """The burials ``user`` requested, latest appointment first."""
    return list(
        db.session.scalars(
            scoped(Burial, tenant)
            .where(Burial.requested_by_id == user.id)
            .options(*_listing())
            .order_by(Burial.burial_date.desc(), Burial.id.desc())
            .limit(limit)
        )
    )


def appointment_end(burial: Burial) -> datetime | None:
    """When the appointment ends (the crew's period)."""
    if burial.start_at is None:
        return None
    return periods_of(burial.cemetery, burial.start_at, burial.ceremony_minutes)[1][1]


# --- notifications ------------------------------------------------------------------


def staff_of(tenant: Tenant) -> list[User]:
    people = {u.id: u for role in STAFF_ROLES for u in users_with_role(tenant, role)}
    return list(people.values())


def _notify(
    tenant: Tenant,
    burial: Burial,
    kind: str,
    *,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Tell the other side (and the acting funeral home its receipt): the
    requesting funeral home account, and the tenant's clerks and admins."""
    home = db.session.get(User, burial.requested_by_id) if burial.requested_by_id else None
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    recipients: list[tuple[User, str]] = []
    if home is not None and home.email and not is_staff(home, tenant):
        recipients.append((home, "home"))
    if kind in ("burial_requested", "burial_cancelled", "burial_confirmed"):
        by_staff = actor is None or can_manage_cemetery(actor, tenant)
        # Clerks hear of what the funeral home did (requested, accepted, cancelled).
        if not by_staff or kind == "burial_requested":
            recipients.extend((person, "staff") for person in staff_of(tenant) if person.email)
    context = {
        "burial": burial,
        "cemetery": burial.cemetery,
        "plot": burial.plot,
        "end": appointment_end(burial),
        "reason": reason,
    }
    for person, side in recipients:
        notify(
            kind,
            person.email,
            tenant,
            key=f"{kind}:{burial.id}:{person.id}:{stamp}",
            locale=person.locale,
            person=person,
            side=side,
            **context,
        )


__all__ = [
    "BURIAL_MESSAGE",
    "accept_proposal",
    "cancel_burial",
    "check_appointment",
    "confirm_burial",
    "create_burial",
    "day_sheet",
    "first_allowed_day",
    "mark_done",
    "propose_time",
    "status_of",
]
