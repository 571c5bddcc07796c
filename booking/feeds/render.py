"""What a calendar feed shows, its cheap version, and its rendering.

A feed is described by a ``FeedSpec``: its cache key, its name, its
*audience* (``staff``: clerks, admins and caretakers; ``owner``: the person
whose bookings these are; ``public``: anyone) and SQL conditions saying
which occurrences and closures it shows and whose resource settings (name,
address, key handover) it prints. Each scope of ``FeedToken`` has a builder
registered with ``register_scope``; the cemetery issue adds burial events
through ``FeedSpec.sources`` without touching this module.

``version(spec, window)`` is ONE aggregate query over exactly what the feed
shows (plus the window's day, so the sliding window changes it): the ETag and
the cache key's version, computed without rendering. ``render(spec,
window)`` loads the rows with one query per kind (occurrences, closures,
the tenant's resources) and builds the calendar with ``icalendar``, keeping
the work per event to a few dictionary look-ups.

Language: a feed has no browser. Private feeds speak the owner's saved
language, the public busy feed German unless ``?lang=en`` asks otherwise
(``feed_language``); the language is part of the cache key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from icalendar.prop import vDDDTypes, vDuration, vInt, vText
from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select, true

from booking.accounts.models import Organisation, OrganisationMember, User
from booking.core import UTCDateTime
from booking.extensions import db
from booking.feeds import ics
from booking.feeds.models import FeedToken
from booking.reservations.models import CLAIMING_STATUSES, Booking, Occurrence
from booking.resources import tree
from booking.resources.models import Closure, Resource, ResourceCaretaker
from booking.resources.policy import policy_of
from booking.tenants.localtime import day_bounds, local_today, tenant_zone
from booking.tenants.models import Tenant

# The window of occurrences a feed carries.
DAYS_BACK = 90
MONTHS_AHEAD = 18
# Cancelled (rejected, expired) dates stay this long as STATUS:CANCELLED, so a
# subscribed calendar removes them; older ones are left out.
CANCELLED_SHOWN_DAYS = 30
# What calendar apps are asked to poll at (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
# Raised when the rendering changes, so every cached feed is rendered anew.
RENDER_VERSION = "1"
LANGUAGES = ("de", "en")
ENDED_STATUSES = ("cancelled", "rejected", "expired")
AUDIENCES = ("staff", "owner", "public")


# --- the window ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Local ``day`` (today), ``[start, end)`` of the occurrences shown, and
    ``cancelled_since``: dates ended before it are left out. All bounds are
    local midnights, so the feed's content only changes with data or day."""

    day: date
    start: datetime
    end: datetime
    cancelled_since: datetime
    now: datetime


def window(tenant: Tenant, now: datetime) -> Window:
    today = local_today(tenant, now)
    return Window(
        day=today,
        start=day_bounds(tenant, today - timedelta(days=DAYS_BACK))[0],
        end=day_bounds(tenant, today + relativedelta(months=MONTHS_AHEAD))[0],
        cancelled_since=day_bounds(tenant, today - timedelta(days=CANCELLED_SHOWN_DAYS))[0],
        now=now,
    )


# --- what a feed shows ----------------------------------------------------------------


class Source(Protocol):
    """More events of a feed (the cemetery's burials): columns for the one
    version query, and the events themselves."""

    def version_columns(self, tenant: Tenant, win: Window) -> list[ColumnElement[Any]]: ...

    def events(self, tenant: Tenant, win: Window, audience: str) -> Iterable[Event]: ...


@dataclass(frozen=True)
class FeedSpec:
    """One feed for one audience. ``occurrences`` is a condition over
    ``Occurrence`` and ``Booking``; ``closures`` over ``Closure`` (None:
    the feed shows none); ``resources`` over ``Resource``: those whose
    settings the feed prints."""

    key: str
    tenant: Tenant
    name: str
    audience: str
    language: str
    occurrences: ColumnElement[bool]
    resources: ColumnElement[bool]
    closures: ColumnElement[bool] | None = None
    busy_title: bool = False
    sources: Sequence[Source] = field(default_factory=tuple)
    # What the conditions depend on besides the tenant (scope, ids): specs of
    # equal signature build equal statements, so the version query is reused.
    signature: tuple = ()
    # Every event's LOCATION is this resource's (the public feed: a booking of
    # a part that is not public does not name the part).
    location_of: int | None = None


ScopeBuilder = Callable[[Tenant, FeedToken, str], FeedSpec]
SCOPES: dict[str, ScopeBuilder] = {}


def register_scope(name: str) -> Callable[[ScopeBuilder], ScopeBuilder]:
    """``@register_scope("cemetery")``: the builder of that scope's ``FeedSpec``."""

    def decorator(builder: ScopeBuilder) -> ScopeBuilder:
        SCOPES[name] = builder
        return builder

    return decorator


def feed_language(preferred: str | None) -> str:
    language = (preferred or "").replace("-", "_").split("_")[0].lower()
    if language in LANGUAGES:
        return language
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "de").split("_")[0]
    return default if default in LANGUAGES else "de"


def spec_for_token(tenant: Tenant, feed: FeedToken) -> FeedSpec:
    language = feed_language(feed.user.locale if feed.user else None)
    return SCOPES[feed.scope](tenant, feed, language)


def _related(tenant: Tenant, resource_ids: Iterable[int]) -> list[int]:
    """The resources claiming the units of ``resource_ids``: their parts and
    the halls they are part of, with them."""
    families = tree.families(tenant.id, resource_ids)
    return sorted({rid for family in families.values() for rid in family.related})


def _of_resources(ids: list[int]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    closures = or_(Closure.resource_id.is_(None), Closure.resource_id.in_(ids))
    return Occurrence.resource_id.in_(ids), closures


def _named(name: str, tenant: Tenant) -> str:
    return f"{name} – {tenant.name}"


def _assigned(tenant: Tenant, user_id: int) -> list[int]:
    """The resources of ``tenant`` a caretaker is assigned to, now."""
    return list(
        db.session.scalars(
            select(ResourceCaretaker.resource_id)
            .join(Resource, Resource.id == ResourceCaretaker.resource_id)
            .where(ResourceCaretaker.user_id == user_id, Resource.tenant_id == tenant.id)
        )
    )


@register_scope("resource")
def _resource_scope(tenant: Tenant, feed: FeedToken, language: str) -> FeedSpec:
    """One resource; without one, a caretaker's "my halls": every resource
    assigned to them when the feed is polled (an assignment added later
    shows up, one taken away disappears)."""
    resource = feed.resource
    if resource is None:
        ids = _related(tenant, _assigned(tenant, feed.user_id))
        key = f"{tenant.id}:resource:caretaker:{feed.user_id}:staff:{language}"
        with force_locale(language):
            name = _named(_("Meine Hallen"), tenant)
    else:
        ids = _related(tenant, [resource.id])
        key = f"{tenant.id}:resource:{resource.id}:staff:{language}"
        name = _named(tree.full_name(resource), tenant)
    occurrences, closures = _of_resources(ids)
    return FeedSpec(
        key=key,
        signature=("resource", tuple(ids)),
        tenant=tenant,
        name=name,
        audience="staff",
        language=language,
        occurrences=occurrences,
        resources=Resource.id.in_(ids),
        closures=closures,
    )


@register_scope("tenant")
def _tenant_scope(tenant: Tenant, feed: FeedToken, language: str) -> FeedSpec:
    with force_locale(language):
        name = _named(_("Alle Buchungen"), tenant)
    return FeedSpec(
        key=f"{tenant.id}:tenant:staff:{language}",
        signature=("tenant",),
        tenant=tenant,
        name=name,
        audience="staff",
        language=language,
        occurrences=true(),
        resources=true(),
        closures=true(),
    )


@register_scope("mine")
def _mine_scope(tenant: Tenant, feed: FeedToken, language: str) -> FeedSpec:
    """Booked by the owner, or for an organisation they manage (as on
    "My bookings" and the organisation's page)."""
    managed = select(OrganisationMember.organisation_id).where(
        OrganisationMember.user_id == feed.user_id, OrganisationMember.is_manager.is_(True)
    )
    with force_locale(language):
        name = _named(_("Meine Buchungen"), tenant)
    return FeedSpec(
        key=f"{tenant.id}:mine:user:{feed.user_id}:{language}",
        signature=("mine", feed.user_id),
        tenant=tenant,
        name=name,
        audience="owner",
        language=language,
        occurrences=or_(Booking.user_id == feed.user_id, Booking.organisation_id.in_(managed)),
        resources=true(),
    )


@register_scope("cemetery")
def _cemetery_scope(tenant: Tenant, feed: FeedToken, language: str) -> FeedSpec:
    """For now the dates of the cemetery's chapel and crew; the cemetery
    issue adds the burials as a ``Source`` (``cemetery_sources``)."""
    cemetery = feed.cemetery
    assert cemetery is not None
    units = [r.id for r in (cemetery.chapel, cemetery.crew) if r is not None]
    ids = _related(tenant, units) if units else []
    occurrences, closures = _of_resources(ids)
    return FeedSpec(
        key=f"{tenant.id}:cemetery:{cemetery.id}:staff:{language}",
        signature=("cemetery", tuple(ids)),
        tenant=tenant,
        name=_named(cemetery.name, tenant),
        audience="staff",
        language=language,
        occurrences=occurrences if ids else false(),
        resources=Resource.id.in_(ids),
        closures=closures if ids else None,
        sources=tuple(source(cemetery) for source in CEMETERY_SOURCES),
    )


# The cemetery issue appends a factory ``cemetery -> Source`` (burials).
CEMETERY_SOURCES: list[Callable[[Any], Source]] = []


def busy_spec(tenant: Tenant, resource: Resource, language: str) -> FeedSpec:
    """The public busy-only feed of ``resource``: "belegt", nothing personal."""
    ids = _related(tenant, [resource.id])
    with force_locale(language):
        name = _("%(resource)s – belegt", resource=tree.full_name(resource))
    return FeedSpec(
        key=f"{tenant.id}:busy:{resource.id}:{language}",
        signature=("busy", tuple(ids)),
        location_of=resource.id,
        tenant=tenant,
        name=name,
        audience="public",
        language=language,
        occurrences=Occurrence.resource_id.in_(ids),
        resources=Resource.id.in_(ids),
        busy_title=True,
    )


# --- the conditions ---------------------------------------------------------------------


# The window's bounds as parameters: a feed's statements are built once and
# reused (``_VERSION_STATEMENTS``) while the window slides.
_WIN_START = bindparam("feed_win_start", type_=UTCDateTime)
_WIN_END = bindparam("feed_win_end", type_=UTCDateTime)
_SINCE = bindparam("feed_since", type_=UTCDateTime)


def _window_params(win: Window) -> dict[str, datetime]:
    return {"feed_win_start": win.start, "feed_win_end": win.end, "feed_since": win.cancelled_since}


def _shown_occurrences(spec: FeedSpec, win: Window | None = None) -> list[ColumnElement[bool]]:
    """In the tenant and the window: active dates, and dates ended (cancelled,
    refused, their booking rejected or expired) since ``cancelled_since``."""
    active = and_(
        Booking.status.in_(CLAIMING_STATUSES),
        Occurrence.cancelled_at.is_(None),
        Occurrence.rejected_at.is_(None),
    )
    recently_ended = or_(
        Occurrence.cancelled_at >= _SINCE,
        Occurrence.rejected_at >= _SINCE,
        and_(
            Booking.status.in_(ENDED_STATUSES),
            Occurrence.cancelled_at.is_(None),
            Booking.updated_at >= _SINCE,
        ),
    )
    return [
        Occurrence.tenant_id == spec.tenant.id,
        Occurrence.start_at < _WIN_END,
        Occurrence.end_at > _WIN_START,
        or_(active, recently_ended),
        spec.occurrences,
    ]


def _shown_closures(spec: FeedSpec, win: Window | None = None) -> list[ColumnElement[bool]]:
    assert spec.closures is not None
    return [
        Closure.tenant_id == spec.tenant.id,
        Closure.start_at < _WIN_END,
        Closure.end_at > _WIN_START,
        spec.closures,
    ]


# --- the version ------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    etag: str
    # The latest change among what the feed shows (or the window's day).
    last_modified: datetime


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns max() of a column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _version_statement(spec: FeedSpec, win: Window) -> Any:
    """The version query of ``spec`` (see ``version``)."""
    occ = (
        select(
            func.count(Occurrence.id).label("n"),
            func.coalesce(func.sum(Occurrence.id), 0).label("ids"),
            func.coalesce(func.sum(Occurrence.sequence), 0).label("seqs"),
            func.max(Occurrence.updated_at).label("occ_changed"),
            func.max(Booking.updated_at).label("booking_changed"),
            # Changes that bump no timestamp: personal data removed (an
            # account deleted sets user_id NULL and clears the phone; the
            # retention job anonymises).
            func.count(Booking.user_id).label("with_user"),
            func.count(Booking.contact_phone).label("with_phone"),
            func.count(Booking.note).label("with_note"),
            func.max(Booking.anonymised_at).label("anonymised"),
        )
        .select_from(Occurrence)
        .join(Booking, Booking.id == Occurrence.booking_id)
        .where(*_shown_occurrences(spec, win))
        .subquery()
    )
    res = (
        select(func.max(Resource.updated_at).label("res_changed"), func.count().label("rn"))
        .where(Resource.tenant_id == spec.tenant.id, spec.resources)
        .subquery()
    )
    columns: list[Any] = [*occ.c, *res.c]
    # One-row aggregates side by side (joined on true: no cartesian warning).
    joined: Any = occ.join(res, true())
    if spec.closures is not None:
        clo = (
            select(
                func.count(Closure.id).label("cn"),
                func.coalesce(func.sum(Closure.id), 0).label("cids"),
                func.max(Closure.created_at).label("clo_changed"),
            )
            .where(*_shown_closures(spec, win))
            .subquery()
        )
        columns.extend(clo.c)
        joined = joined.join(clo, true())
    for source in spec.sources:
        columns.extend(source.version_columns(spec.tenant, win))
    return select(*columns).select_from(joined)


# Built statements by feed signature (tenant, scope, ids): building one costs
# more than running it on a few thousand rows.
_VERSION_STATEMENTS: dict[tuple, Any] = {}
_STATEMENTS_KEPT = 512


def version(spec: FeedSpec, win: Window) -> Version:
    """ONE aggregate query: count, sum of ids, sum of sequences and latest
    change of the occurrences shown (and their bookings, with how many still
    name a person, a phone, a note, and the latest anonymisation), the same of the
    closures shown, the latest change of the resources printed, and what
    further sources add."""
    statement = None
    key = (spec.tenant.id, spec.key, spec.signature)
    if spec.signature and not spec.sources:
        statement = _VERSION_STATEMENTS.get(key)
    if statement is None:
        statement = _version_statement(spec, win)
        if spec.signature and not spec.sources:
            if len(_VERSION_STATEMENTS) >= _STATEMENTS_KEPT:
                _VERSION_STATEMENTS.clear()
            _VERSION_STATEMENTS[key] = statement
    row = db.session.execute(statement, _window_params(win)).one()
    parts = [RENDER_VERSION, spec.key, win.day.isoformat(), *(str(v) for v in row)]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    stamps = [_as_utc(v) for v in row if isinstance(v, datetime | str)]
    stamps.append(day_bounds(spec.tenant, win.day)[0])
    return Version(etag=digest, last_modified=max(s for s in stamps if s is not None))


# --- rendering --------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of ``tzid`` for the years a feed spans (compact: a
    few transitions, not the zone's whole history)."""
    return ics.vtimezone(tzid, date(first_year, 1, 1), date(last_year + 1, 1, 1))


def _duration(value: timedelta) -> vDuration:
    prop = vDuration(value)
    prop.params["VALUE"] = "DURATION"
    return prop


def calendar_shell(tenant: Tenant, name: str, win: Window) -> Calendar:
    """The VCALENDAR with its name, zone and refresh hints (no events yet)."""
    calendar = Calendar()
    calendar["PRODID"] = vText(ics.PRODID)
    calendar["VERSION"] = vText("2.0")
    calendar["CALSCALE"] = vText("GREGORIAN")
    calendar["METHOD"] = vText("PUBLISH")
    calendar["X-WR-CALNAME"] = vText(ics.text_value(name))
    calendar["NAME"] = vText(ics.text_value(name))
    calendar["X-WR-TIMEZONE"] = vText(tenant.timezone)
    calendar["REFRESH-INTERVAL"] = _duration(REFRESH)
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH)
    if tenant.timezone != "UTC":
        calendar.add_component(_vtimezone(tenant.timezone, win.start.year - 1, win.end.year + 1))
    return calendar


class _Texts:
    """The labels of one rendering, translated once."""

    def __init__(self, language: str):
        with force_locale(language):
            self.busy = _("belegt")
            self.booked_by = _("Gebucht von")
            self.phone = _("Telefon")
            self.guests = _("Personen")
            self.note = _("Hinweis der buchenden Person")
            self.key = _("Schlüsselübergabe")
            self.reason = _("Grund der Absage")
            self.closed = _("Gesperrt")
            self.everywhere = _("Alle Räume")


def _line(label: str, value: Any) -> str | None:
    text = ics.text_value(str(value)) if value is not None else ""
    return f"{label}: {text}" if text else None


def _booked_by(org_name: str | None, user_name: str | None, user_email: str | None) -> str:
    person = user_name or user_email
    if org_name:
        return f"{org_name} ({person})" if person else org_name
    return person or "–"


_STATUS = {
    "confirmed": vText("CONFIRMED"),
    "requested": vText("TENTATIVE"),
    "held": vText("TENTATIVE"),
}
_CANCELLED = vText("CANCELLED")
_TRANSPARENT = vText("TRANSPARENT")


def render(spec: FeedSpec, win: Window) -> bytes:
    """The feed's bytes: one VEVENT per occurrence shown, then the closures."""
    tenant = spec.tenant
    zone = None if tenant.timezone == "UTC" else tenant_zone(tenant)
    texts = _Texts(spec.language)
    calendar = calendar_shell(tenant, spec.name, win)
    events = calendar.subcomponents
    resources = {
        r.id: r for r in db.session.scalars(select(Resource).where(Resource.tenant_id == tenant.id))
    }
    policies = {rid: policy_of(r) for rid, r in resources.items()}
    locations: dict[int, vText] = {}
    for rid, resource in resources.items():
        parts = (ics.text_value(tree.full_name(resource)), ics.text_value(policies[rid].address))
        locations[rid] = vText(", ".join(p for p in parts if p))
    stamp = vDDDTypes(win.now.astimezone(UTC).replace(microsecond=0))
    staff = spec.audience == "staff"
    owner = spec.audience == "owner"
    public = spec.audience == "public"
    busy = vText(texts.busy)
    titles: dict[str, vText] = {}

    columns: list[Any] = [
        Occurrence.id,
        Occurrence.start_at,
        Occurrence.end_at,
        Occurrence.sequence,
        Occurrence.updated_at,
        Occurrence.cancelled_at,
        Occurrence.rejected_at,
        Occurrence.resource_id,
        Booking.status,
        Booking.updated_at,
    ]
    query = (
        select(*columns).select_from(Occurrence).join(Booking, Booking.id == Occurrence.booking_id)
    )
    if not public:
        # What staff and the owner read; the public feed does not even load it.
        query = (
            query.add_columns(
                Booking.title,
                Occurrence.cancel_reason,
                Booking.contact_phone,
                Booking.guests,
                Booking.note,
                User.name,
                User.email,
                Organisation.name,
            )
            .outerjoin(User, User.id == Booking.user_id)
            .outerjoin(Organisation, Organisation.id == Booking.organisation_id)
        )
    query = query.where(*_shown_occurrences(spec, win)).order_by(Occurrence.start_at, Occurrence.id)
    uid = ics.uid_of_occurrence
    keys: dict[int, str | None] = {rid: p.key_handover for rid, p in policies.items()}
    for row in db.session.execute(query, _window_params(win)):
        occ_id, start, end, seq, occ_changed, cancelled, rejected, rid, status, b_changed = row[:10]
        event = Event()
        event["UID"] = vText(uid(occ_id, tenant))
        event["SEQUENCE"] = vInt(seq or 0)
        event["DTSTAMP"] = stamp
        changed = occ_changed if occ_changed >= b_changed else b_changed
        event["LAST-MODIFIED"] = vDDDTypes(changed.replace(microsecond=0))
        if zone is not None:
            start, end = start.astimezone(zone), end.astimezone(zone)
        event["DTSTART"] = vDDDTypes(start)
        event["DTEND"] = vDDDTypes(end)
        ended = cancelled is not None or rejected is not None or status in ENDED_STATUSES
        if public:
            event["SUMMARY"] = busy
        else:
            title = row[10]
            summary = titles.get(title)
            if summary is None:
                summary = titles[title] = vText(ics.text_value(title))
            event["SUMMARY"] = summary
        event["LOCATION"] = locations[rid if spec.location_of is None else spec.location_of]
        event["STATUS"] = _CANCELLED if ended else _STATUS[status]
        if ended:
            event["TRANSP"] = _TRANSPARENT
        if not public:
            reason, phone, guests, note, user_name, user_email, org_name = row[11:]
            if staff:
                lines = [
                    _line(texts.booked_by, _booked_by(org_name, user_name, user_email)),
                    _line(texts.phone, phone),
                    _line(texts.guests, guests),
                    _line(texts.note, note),
                    _line(texts.key, keys[rid]),
                ]
            else:
                lines = [_line(texts.guests, guests), _line(texts.phone, phone)]
                lines.append(_line(texts.key, keys[rid]))
            if ended and (staff or owner):
                lines.append(_line(texts.reason, reason))
            description = "\n".join(line for line in lines if line)
            if description:
                event["DESCRIPTION"] = vText(description)
        events.append(event)
    if spec.closures is not None:
        for closure in db.session.scalars(
            select(Closure).where(*_shown_closures(spec, win)).order_by(Closure.start_at),
            _window_params(win),
        ):
            events.append(_closure_event(closure, tenant, texts, locations, stamp, zone))
    for source in spec.sources:
        events.extend(source.events(tenant, win, spec.audience))
    return calendar.to_ical()


def closure_uid(closure: Closure, tenant: Tenant) -> str:
    return f"closure-{closure.id}@{tenant.slug}.kommunalbuchung"


def _local_midnight(instant: datetime, zone: Any) -> date | None:
    local = instant.astimezone(zone) if zone is not None else instant
    return local.date() if local.time() == time() else None


def _closure_event(
    closure: Closure,
    tenant: Tenant,
    texts: _Texts,
    locations: dict[int, vText],
    stamp: vDDDTypes,
    zone: Any,
) -> Event:
    """A closure of whole local days is an all-day event (DTEND the day
    after its last day); one that starts or ends inside a day keeps its
    times (a timed event), so nobody reads a closed morning as a closed day."""
    event = Event()
    event["UID"] = vText(closure_uid(closure, tenant))
    event["SEQUENCE"] = vInt(0)
    event["DTSTAMP"] = stamp
    event["LAST-MODIFIED"] = vDDDTypes(closure.created_at.replace(microsecond=0))
    first, after = _local_midnight(closure.start_at, zone), _local_midnight(closure.end_at, zone)
    if first is not None and after is not None:
        event["DTSTART"] = vDDDTypes(first)
        event["DTEND"] = vDDDTypes(after)
        event["DTSTART"].params["VALUE"] = "DATE"
        event["DTEND"].params["VALUE"] = "DATE"
    else:
        start, end = closure.start_at, closure.end_at
        if zone is not None:
            start, end = start.astimezone(zone), end.astimezone(zone)
        event["DTSTART"] = vDDDTypes(start)
        event["DTEND"] = vDDDTypes(end)
    event["SUMMARY"] = vText(f"{texts.closed}: {ics.text_value(closure.reason)}")
    if closure.resource_id is None:
        event["LOCATION"] = vText(ics.text_value(f"{texts.everywhere} – {tenant.name}"))
    elif closure.resource_id in locations:
        event["LOCATION"] = locations[closure.resource_id]
    event["STATUS"] = vText("CONFIRMED")
    event["TRANSP"] = vText("OPAQUE")
    return event


__all__ = [
    "CEMETERY_SOURCES",
    "SCOPES",
    "FeedSpec",
    "Source",
    "Version",
    "Window",
    "busy_spec",
    "calendar_shell",
    "feed_language",
    "register_scope",
    "render",
    "spec_for_token",
    "version",
    "window",
]
