"""School holidays (Schulferien) of the tenant's state: entered by hand or
imported from an ICS file once a year; a series may skip them. The rules, no
request; ``actor=None`` means the system itself. Who may: the staff who enter
closures (``resources.access.can_manage_closures``: admins and clerks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from icalendar import Calendar

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import NAME_MAX, ValidationFailed, too_long
from booking.extensions import db
from booking.resources.access import can_manage_closures, require
from booking.resources.models import SchoolHoliday
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, scoped

MAX_ICS_BYTES = 1024 * 1024
MAX_DAYS = 120  # the longest holiday period taken as plausible (summer: about 6 weeks)
YEARS = range(2000, 2101)


@dataclass
class ImportReport:
    """What an ICS import did: the periods ``added``, and the ``duplicates``
    left out because one with the same first day and name exists."""

    added: list[SchoolHoliday] = field(default_factory=list)
    duplicates: list[tuple[str, date]] = field(default_factory=list)


def _json(holiday: SchoolHoliday) -> dict[str, Any]:
    return {
        "name": holiday.name,
        "first_day": holiday.first_day.isoformat(),
        "last_day": holiday.last_day.isoformat(),
    }


def _checked(name: object, first_day: object, last_day: object) -> tuple[str, date, date]:
    errors: dict[str, list] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = [_l("Bitte einen Namen angeben, z. B. Sommerferien.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [too_long(NAME_MAX)]
    for key, value in (("first_day", first_day), ("last_day", last_day)):
        if not isinstance(value, date) or isinstance(value, datetime):
            errors[key] = [_l("Bitte ein Datum angeben, z. B. 06.03.2027.")]
        elif value.year not in YEARS:
            errors[key] = [_l("Bitte ein Datum zwischen 2000 und 2100 angeben.")]
    if not errors:
        assert isinstance(first_day, date) and isinstance(last_day, date)
        if last_day < first_day:
            errors["last_day"] = [_l("Der letzte Tag darf nicht vor dem ersten liegen.")]
        elif (last_day - first_day).days >= MAX_DAYS:
            errors["last_day"] = [
                _l("Ferien dauern höchstens %(days)d Tage.", days=MAX_DAYS),
            ]
    if errors:
        raise ValidationFailed(_l("Die Ferien sind ungültig."), errors)
    return name, first_day, last_day  # type: ignore[return-value]


def _exists(tenant: Tenant, name: str, first_day: date) -> bool:
    return (
        db.session.scalar(
            scoped(SchoolHoliday, tenant)
            .where(SchoolHoliday.first_day == first_day, SchoolHoliday.name == name)
            .limit(1)
        )
        is not None
    )


def add_school_holiday(
    tenant: Tenant, actor: User | None, name: object, first_day: object, last_day: object
) -> SchoolHoliday:
    """One period, both days included (local dates)."""
    require(can_manage_closures(actor, tenant), actor)
    name, first_day, last_day = _checked(name, first_day, last_day)
    if _exists(tenant, name, first_day):
        raise ValidationFailed(
            _l("Diese Ferien sind schon eingetragen."),
            {"name": [_l("„%(name)s“ ab diesem Tag gibt es schon.", name=name)]},
        )
    holiday = SchoolHoliday(tenant_id=tenant.id, name=name, first_day=first_day, last_day=last_day)
    db.session.add(holiday)
    db.session.flush()
    audit.record(tenant, actor, "school_holiday.create", holiday, after=_json(holiday))
    return holiday


def get_school_holiday(tenant: Tenant, holiday_id: object) -> SchoolHoliday:
    return get_scoped(SchoolHoliday, tenant, holiday_id)


def delete_school_holiday(tenant: Tenant, actor: User | None, holiday: SchoolHoliday) -> None:
    require(can_manage_closures(actor, tenant), actor)
    holiday = get_school_holiday(tenant, holiday.id)
    audit.record(tenant, actor, "school_holiday.delete", holiday, before=_json(holiday))
    db.session.delete(holiday)
    db.session.flush()


def list_school_holidays(tenant: Tenant, year: int | None = None) -> list[SchoolHoliday]:
    """The tenant's periods by first day; with ``year``, those touching it."""
    query = scoped(SchoolHoliday, tenant)
    if year is not None:
        query = query.where(
            SchoolHoliday.last_day >= date(year, 1, 1),
            SchoolHoliday.first_day <= date(year, 12, 31),
        )
    return list(db.session.scalars(query.order_by(SchoolHoliday.first_day, SchoolHoliday.name)))


def periods_between(tenant: Tenant, start: date, end: date) -> list[SchoolHoliday]:
    """The periods with a day in ``[start, end]`` (both local dates, included)."""
    return list(
        db.session.scalars(
            scoped(SchoolHoliday, tenant)
            .where(
                SchoolHoliday.last_day >= start,
                SchoolHoliday.first_day <= end,
            )
            .order_by(SchoolHoliday.first_day)
        )
    )


def _day_of(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _bad_file(message: Any) -> ValidationFailed:
    return ValidationFailed(message, {"file": [message]})


def parse_ics(data: bytes) -> list[tuple[str, date, date]]:
    """``(name, first_day, last_day)`` of each VEVENT; an all-day event's
    DTEND is the day after its last. Raises ``ValidationFailed`` (field
    ``file``) for a file that is too large, not iCalendar, without events or
    with an implausible date."""
    if len(data) > MAX_ICS_BYTES:
        raise _bad_file(_l("Die Datei ist zu groß (höchstens 1 MiB)."))
    try:
        calendar = Calendar.from_ical(data)
    except Exception:  # icalendar raises ValueError and friends for any garbage
        raise _bad_file(_l("Die Datei ist keine iCalendar-Datei (.ics).")) from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise _bad_file(_l("Die Datei ist keine iCalendar-Datei (.ics)."))
    periods: list[tuple[str, date, date]] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        name = str(event.get("SUMMARY") or "").strip()
        start_prop, end_prop = event.get("DTSTART"), event.get("DTEND")
        first = _day_of(start_prop.dt) if start_prop is not None else None
        if first is None:
            raise _bad_file(_l("Termin %(number)d hat keinen Beginn.", number=number))
        end = _day_of(end_prop.dt) if end_prop is not None else None
        all_day = not isinstance(start_prop.dt, datetime)
        if end is None:
            last = first
        elif all_day:
            last = end - timedelta(days=1)
        else:
            last = end
        try:
            periods.append(_checked(name or "Schulferien", first, last))
        except ValidationFailed:
            raise _bad_file(
                _l(
                    "Termin %(number)d („%(name)s“) hat unplausible Daten: %(first)s bis %(last)s.",
                    number=number,
                    name=name,
                    first=first.isoformat(),
                    last=last.isoformat(),
                )
            ) from None
    if not periods:
        raise _bad_file(_l("Die Datei enthält keine Termine."))
    return periods


def import_ics(tenant: Tenant, actor: User | None, data: bytes) -> ImportReport:
    """Add every period of an ICS file, or none: a bad file stores nothing.
    Periods already there (same first day and name) are left out and reported."""
    require(can_manage_closures(actor, tenant), actor)
    periods = parse_ics(data)
    report = ImportReport()
    seen: set[tuple[str, date]] = set()
    for name, first_day, last_day in periods:
        key = (name, first_day)
        if key in seen or _exists(tenant, name, first_day):
            report.duplicates.append(key)
            continue
        seen.add(key)
        holiday = SchoolHoliday(
            tenant_id=tenant.id, name=name, first_day=first_day, last_day=last_day
        )
        db.session.add(holiday)
        report.added.append(holiday)
    db.session.flush()
    for holiday in report.added:
        audit.record(tenant, actor, "school_holiday.import", holiday, after=_json(holiday))
    return report
