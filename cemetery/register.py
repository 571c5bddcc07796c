"""The cemetery register: cemeteries and their burial settings, sections,
plots, grave types, and a plot's derived status.

Services only flush; the request, CLI command or job commits. A plot's
status is never stored: ``plot_statuses`` derives it for any number of plots
in one query (``cemetery.rules.plot_status`` over the plot's ``blocked``
flag, its active right's end and the latest rest period of its burials)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import contains_eager

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import (
    ADDRESS_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    Forbidden,
    ValidationFailed,
    clean_text,
    has_forbidden_characters,
    too_long,
    utcnow,
)
from booking.extensions import db
from booking.resources import service as resources
from booking.resources.models import Resource
from booking.tenants import localtime
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, in_tenant, is_key, scoped
from cemetery.access import can_administer_cemetery, can_manage_cemetery
from cemetery.models import (
    ACTIVE_BURIAL_STATUSES,
    BURIAL_KINDS,
    Burial,
    Cemetery,
    GraveRight,
    GraveType,
    Plot,
    Section,
)
from cemetery.rules import PlotState, plot_status

CHECK = _l("Bitte prüfen Sie die Angaben.")

# Integer settings of a cemetery: (lowest, highest) allowed.
INT_SETTINGS: dict[str, tuple[int, int]] = {
    "lead_days_coffin": (0, 60),
    "lead_days_urn": (0, 60),
    "burials_per_day": (1, 100),
    "burial_minutes": (5, 600),
    "rest_years_coffin": (1, 100),
    "rest_years_urn": (1, 100),
    "rest_years_child_coffin": (1, 100),
    "rest_years_child_urn": (1, 100),
    "child_age": (0, 30),
}
SETTINGS = ("name", "address", "description", "burial_hours", *INT_SETTINGS)

PLOT_CODE_MAX = 40
SECTION_MAX = 40
ROW_MAX = 20
MAP_MAX = 100_000  # map units: positions and sizes on a section's map
ROW_COUNT_MAX = 500  # plots in one bulk "row of plots"
# Plot ids per query of ``plot_statuses`` (SQLite limits bound parameters).
STATUS_CHUNK = 5_000


# --- small helpers ------------------------------------------------------------------


def name_key(name: str) -> str:
    """A name folded for the grave search: case folded (ß → ss), accents
    removed, whitespace collapsed."""
    folded = unicodedata.normalize("NFKD", (name or "").casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(plain.replace("ß", "ss").split())


def local_today(tenant: Tenant, now: datetime | None = None) -> date:
    """Today's date in the tenant's time zone."""
    return localtime.local_today(tenant, now or utcnow())


def require_manage(tenant: Tenant, actor: User | None) -> None:
    """Clerks and admins (or the system, ``actor=None``) run the register."""
    if actor is not None and not can_manage_cemetery(actor, tenant):
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))


def require_administer(tenant: Tenant, actor: User | None) -> None:
    """Admins (or the system) change grave types."""
    if actor is not None and not can_administer_cemetery(actor, tenant):
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))


def _text(
    errors: dict[str, list], name: str, value: Any, limit: int, *, required: bool = False
) -> str | None:
    if value is not None and not isinstance(value, str):
        errors[name] = [_l("Bitte einen Text angeben.")]
        return None
    text = clean_text(value)
    if text is None:
        if required:
            errors[name] = [_l("Pflichtangabe.")]
        return None
    if has_forbidden_characters(text):
        errors[name] = [_l("Steuerzeichen und ungültige Unicode-Zeichen sind nicht erlaubt.")]
    elif len(text) > limit:
        errors[name] = [too_long(limit)]
    return text


def _int(
    errors: dict[str, list], name: str, value: Any, low: int, high: int, *, required: bool = True
) -> int | None:
    if value is None or value == "":
        if required:
            errors[name] = [_l("Pflichtangabe.")]
        return None
    if isinstance(value, bool):
        errors[name] = [_l("Bitte eine ganze Zahl angeben.")]
        return None
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d{1,9}", value):
            errors[name] = [_l("Bitte eine ganze Zahl angeben.")]
            return None
        value = int(value)
    if not isinstance(value, int):
        errors[name] = [_l("Bitte eine ganze Zahl angeben.")]
        return None
    if not low <= value <= high:
        errors[name] = [_l("Bitte eine Zahl von %(low)d bis %(high)d.", low=low, high=high)]
        return None
    return value


def _raise(errors: dict[str, list]) -> None:
    if errors:
        raise ValidationFailed(CHECK, errors)


def check_burial_hours(value: Any) -> dict[str, list[list[int]]]:
    """``{"0": [[540, 900]], …}`` checked: weekday keys "0"–"6", each a list
    of ``[from, to)`` minute pairs within the day, ordered, not overlapping.
    ``ValidationFailed`` (field ``burial_hours``) otherwise."""
    bad = ValidationFailed(
        CHECK, {"burial_hours": [_l("Die Bestattungszeiten sind ungültig (von vor bis).")]}
    )
    if not isinstance(value, Mapping):
        raise bad
    hours: dict[str, list[list[int]]] = {}
    for key, spans in value.items():
        if key not in {str(d) for d in range(7)} or not isinstance(spans, list):
            raise bad
        checked: list[list[int]] = []
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(m, int) and not isinstance(m, bool) for m in span)
            ):
                raise bad
            start, end = span
            if not 0 <= start < end <= 24 * 60:
                raise bad
            if checked and start < checked[-1][1]:
                raise bad
            checked.append([start, end])
        if checked:
            hours[key] = checked
    return dict(sorted(hours.items()))


def _checked_settings(
    tenant: Tenant, cemetery: Cemetery | None, settings: Mapping[str, Any]
) -> dict[str, Any]:
    unknown = set(settings) - set(SETTINGS) - {"chapel_resource_id", "crew_resource_id"}
    if unknown:
        raise ValidationFailed(CHECK, {name: [_l("Unbekanntes Feld.")] for name in unknown})
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}
    if "name" in settings or cemetery is None:
        name = _text(errors, "name", settings.get("name"), NAME_MAX, required=True)
        if name is not None and "name" not in errors:
            # Folded in Python (name_key): SQLite's lower() knows only ASCII.
            others = db.session.scalars(
                select(Cemetery.name).where(
                    in_tenant(Cemetery, tenant), Cemetery.id != (cemetery.id if cemetery else -1)
                )
            )
            if any(name_key(other) == name_key(name) for other in others):
                errors["name"] = [_l("Einen Friedhof dieses Namens gibt es schon.")]
        values["name"] = name
    if "address" in settings:
        values["address"] = _text(errors, "address", settings["address"], ADDRESS_MAX)
    if "description" in settings:
        values["description"] = _text(errors, "description", settings["description"], LONG_TEXT_MAX)
    for key, (low, high) in INT_SETTINGS.items():
        if key in settings:
            values[key] = _int(errors, key, settings[key], low, high)
    if "burial_hours" in settings:
        try:
            values["burial_hours"] = check_burial_hours(settings["burial_hours"])
        except ValidationFailed as refusal:
            errors.update(refusal.fields)
    for key, kind in (("chapel_resource_id", "chapel"), ("crew_resource_id", "crew")):
        if settings.get(key) is not None:
            values[key] = _own_resource(errors, tenant, key, settings[key], kind)
    _raise(errors)
    return values


def _own_resource(
    errors: dict[str, list], tenant: Tenant, field: str, resource_id: Any, kind: str
) -> int | None:
    resource = db.session.get(Resource, resource_id) if is_key(resource_id) else None
    if resource is None or resource.tenant_id != tenant.id:
        errors[field] = [_l("Unbekannte Ressource.")]
        return None
    if resource.kind != kind:
        errors[field] = [
            _l("Trauerhalle: eine Ressource der Art Trauerhalle (chapel).")
            if kind == "chapel"
            else _l("Friedhofsteam: eine Ressource der Art Team (crew).")
        ]
        return None
    return resource.id


def snapshot(cemetery: Cemetery) -> dict[str, Any]:
    return {
        "name": cemetery.name,
        "address": cemetery.address,
        "chapel_resource_id": cemetery.chapel_resource_id,
        "crew_resource_id": cemetery.crew_resource_id,
        "burial_hours": cemetery.burial_hours,
        **{key: getattr(cemetery, key) for key in INT_SETTINGS},
    }


# --- cemeteries ---------------------------------------------------------------------


def create_cemetery(
    tenant: Tenant,
    actor: User | None,
    *,
    name: str,
    address: str | None = None,
    chapel_resource_id: int | None = None,
    crew_resource_id: int | None = None,
    now: datetime | None = None,
    **settings: Any,
) -> Cemetery:
    """A new cemetery with its burial settings. Its chapel ("Trauerhalle
    <name>", kind chapel) and crew ("Friedhofsteam <name>", kind crew) are
    created as (non-public) resources when not given."""
    require_manage(tenant, actor)
    now = now or utcnow()
    values = _checked_settings(
        tenant,
        None,
        {
            "name": name,
            "address": address,
            "chapel_resource_id": chapel_resource_id,
            "crew_resource_id": crew_resource_id,
            **settings,
        },
    )
    if values.get("chapel_resource_id") is None:
        chapel = resources.create_resource(
            tenant,
            None,
            name=f"Trauerhalle {values['name']}"[:NAME_MAX],
            kind="chapel",
            public=False,
            now=now,
        )
        values["chapel_resource_id"] = chapel.id
    if values.get("crew_resource_id") is None:
        crew = resources.create_resource(
            tenant,
            None,
            name=f"Friedhofsteam {values['name']}"[:NAME_MAX],
            kind="crew",
            public=False,
            now=now,
        )
        values["crew_resource_id"] = crew.id
    cemetery = Cemetery(tenant_id=tenant.id, created_at=now, **values)
    db.session.add(cemetery)
    db.session.flush()
    audit.record(tenant, actor, "cemetery.create", cemetery, after=snapshot(cemetery), now=now)
    return cemetery


def update_cemetery(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    *,
    now: datetime | None = None,
    **settings,
) -> Cemetery:
    """Change a cemetery's name, address, description, chapel/crew and
    burial settings (any of ``SETTINGS``); audited."""
    require_manage(tenant, actor)
    if cemetery.tenant_id != tenant.id:
        raise ValidationFailed(CHECK)
    values = _checked_settings(tenant, cemetery, settings)
    before = snapshot(cemetery)
    for key, value in values.items():
        setattr(cemetery, key, value)
    db.session.flush()
    after = snapshot(cemetery)
    if after != before:
        audit.record(
            tenant, actor, "cemetery.update", cemetery, before=before, after=after, now=now
        )
    return cemetery


def list_cemeteries(tenant: Tenant) -> list[Cemetery]:
    return list(db.session.scalars(scoped(Cemetery, tenant).order_by(Cemetery.name)))


# --- sections -----------------------------------------------------------------------


def get_section(
    tenant: Tenant, cemetery: Cemetery, name: str | None, create: bool = False
) -> Section | None:
    """The section called ``name`` (None for no name); created when missing
    and ``create``."""
    errors: dict[str, list] = {}
    name = _text(errors, "section", name, SECTION_MAX)
    _raise(errors)
    if name is None:
        return None
    section = db.session.scalar(
        scoped(Section, tenant).where(Section.cemetery_id == cemetery.id, Section.name == name)
    )
    if section is None and create:
        section = Section(tenant_id=tenant.id, cemetery_id=cemetery.id, name=name)
        db.session.add(section)
        db.session.flush()
    return section


def sections(tenant: Tenant, cemetery: Cemetery) -> list[Section]:
    return list(
        db.session.scalars(
            scoped(Section, tenant).where(Section.cemetery_id == cemetery.id).order_by(Section.name)
        )
    )


def plot_counts(tenant: Tenant, cemetery: Cemetery) -> dict[int | None, int]:
    """``{section_id: number of plots}`` (None: plots without a section)."""
    rows = db.session.execute(
        select(Plot.section_id, func.count())
        .where(in_tenant(Plot, tenant), Plot.cemetery_id == cemetery.id)
        .group_by(Plot.section_id)
    )
    return {section_id: count for section_id, count in rows}


# --- grave types --------------------------------------------------------------------


def grave_types(tenant: Tenant, active_only: bool = True) -> list[GraveType]:
    query = scoped(GraveType, tenant).order_by(GraveType.name)
    if active_only:
        query = query.where(GraveType.active.is_(True))
    return list(db.session.scalars(query))


def grave_type_by_key(tenant: Tenant, key: Any) -> GraveType:
    """The tenant's grave type with that key; 422 (field ``grave_type``) if
    there is none."""
    grave_type = None
    if isinstance(key, str) and key.strip():
        grave_type = db.session.scalar(
            scoped(GraveType, tenant).where(GraveType.key == key.strip().lower())
        )
    if grave_type is None:
        raise ValidationFailed(CHECK, {"grave_type": [_l("Unbekannte Grabart.")]})
    return grave_type


GRAVE_TYPE_FLAGS = (
    "extendable",
    "discloses_location",
    "cemetery_care",
    "allocated_in_order",
    "for_children",
    "active",
)


def grave_type_snapshot(grave_type: GraveType) -> dict[str, Any]:
    return {
        "key": grave_type.key,
        "name": grave_type.name,
        "coffin_places": grave_type.coffin_places,
        "urn_places": grave_type.urn_places,
        "default_term_years": grave_type.default_term_years,
        **{flag: getattr(grave_type, flag) for flag in GRAVE_TYPE_FLAGS},
    }


def _grave_type_values(
    tenant: Tenant, grave_type: GraveType | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}
    if grave_type is None:
        key = _text(errors, "key", data.get("key"), 40, required=True)
        if key is not None and "key" not in errors:
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", key):
                errors["key"] = [
                    _l("Kleinbuchstaben, Ziffern und _ (z. B. urnengemeinschaftsgrab).")
                ]
            elif db.session.scalar(
                select(GraveType.id).where(in_tenant(GraveType, tenant), GraveType.key == key)
            ):
                errors["key"] = [_l("Diesen Schlüssel gibt es schon.")]
        values["key"] = key
    if "name" in data or grave_type is None:
        values["name"] = _text(errors, "name", data.get("name"), 100, required=True)
    for key, low, high in (
        ("coffin_places", 0, 20),
        ("urn_places", 0, 50),
        ("default_term_years", 1, 100),
    ):
        if key in data or grave_type is None:
            values[key] = _int(errors, key, data.get(key), low, high)
    for flag in GRAVE_TYPE_FLAGS:
        if flag in data:
            values[flag] = bool(data[flag])
    if values.get("coffin_places") == 0 and values.get("urn_places") == 0:
        errors["coffin_places"] = [_l("Mindestens ein Sarg- oder Urnenplatz.")]
    _raise(errors)
    return values


def create_grave_type(
    tenant: Tenant, actor: User | None, data: Mapping[str, Any], *, now: datetime | None = None
) -> GraveType:
    """A new grave type (admins): key, name, places, term and flags."""
    require_administer(tenant, actor)
    values = _grave_type_values(tenant, None, data)
    grave_type = GraveType(tenant_id=tenant.id, **values)
    db.session.add(grave_type)
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "grave_type.create",
        grave_type,
        after=grave_type_snapshot(grave_type),
        now=now,
    )
    return grave_type


def update_grave_type(
    tenant: Tenant,
    actor: User | None,
    grave_type: GraveType,
    data: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> GraveType:
    """Change a grave type's settings (not its key); admins; audited."""
    require_administer(tenant, actor)
    values = _grave_type_values(tenant, grave_type, {k: v for k, v in data.items() if k != "key"})
    before = grave_type_snapshot(grave_type)
    for key, value in values.items():
        setattr(grave_type, key, value)
    db.session.flush()
    after = grave_type_snapshot(grave_type)
    if before != after:
        audit.record(
            tenant, actor, "grave_type.update", grave_type, before=before, after=after, now=now
        )
    return grave_type


# --- plots --------------------------------------------------------------------------


def _grave_type(tenant: Tenant, grave_type: GraveType | str) -> GraveType:
    if isinstance(grave_type, GraveType):
        if grave_type.tenant_id != tenant.id:
            raise ValidationFailed(CHECK, {"grave_type": [_l("Unbekannte Grabart.")]})
        return grave_type
    return grave_type_by_key(tenant, grave_type)


def default_sort_key(row: str | None, number: str | None) -> int:
    """Plots order row by row, number by number where both are numbers."""
    row_n = int(row) if row and row.isdigit() and len(row) <= 5 else 0
    number_n = int(number) if number and number.isdigit() and len(number) <= 5 else 0
    return row_n * 100_000 + number_n


def plot_snapshot(plot: Plot) -> dict[str, Any]:
    return {
        "code": plot.code,
        "section_id": plot.section_id,
        "grave_type_id": plot.grave_type_id,
        "row": plot.row,
        "number": plot.number,
        "x": plot.x,
        "y": plot.y,
        "blocked": plot.blocked,
        "blocked_reason": plot.blocked_reason,
    }


def create_plot(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    *,
    code: str,
    grave_type: GraveType | str,
    section: str | None = None,
    row: str | None = None,
    number: str | None = None,
    x: int | None = None,
    y: int | None = None,
    width: int | None = None,
    height: int | None = None,
    notes: str | None = None,
    sort_key: int | None = None,
    coffin_places: int | None = None,
    urn_places: int | None = None,
    now: datetime | None = None,
) -> Plot:
    """A plot ("B-04-12") of ``grave_type`` (object or key) in ``section``
    (created when missing); codes are unique within the cemetery."""
    require_manage(tenant, actor)
    errors: dict[str, list] = {}
    code = _text(errors, "code", code, PLOT_CODE_MAX, required=True)
    row = _text(errors, "row", None if row is None else str(row), ROW_MAX)
    number = _text(errors, "number", None if number is None else str(number), ROW_MAX)
    notes = _text(errors, "notes", notes, LONG_TEXT_MAX)
    section_name = _text(errors, "section", section, SECTION_MAX)
    geometry = {}
    for key, value in (("x", x), ("y", y), ("width", width), ("height", height)):
        low = 1 if key in ("width", "height") else 0
        geometry[key] = _int(errors, key, value, low, MAP_MAX, required=False)
    places = {}
    for key, value in (("coffin_places", coffin_places), ("urn_places", urn_places)):
        places[key] = _int(errors, key, value, 0, 50, required=False)
    if sort_key is not None:
        sort_key = _int(errors, "sort_key", sort_key, 0, 2_000_000_000)
    try:
        kind = _grave_type(tenant, grave_type)
    except ValidationFailed as refusal:
        errors.update(refusal.fields)
        kind = None
    if code is not None and "code" not in errors and _code_taken(cemetery, [code]):
        errors["code"] = [_l("Diese Grabnummer gibt es auf dem Friedhof schon.")]
    _raise(errors)
    assert kind is not None and code is not None
    section_row = get_section(tenant, cemetery, section_name, create=True)
    plot = Plot(
        tenant_id=tenant.id,
        cemetery_id=cemetery.id,
        section_id=section_row.id if section_row else None,
        grave_type_id=kind.id,
        code=code,
        row=row,
        number=number,
        sort_key=default_sort_key(row, number) if sort_key is None else sort_key,
        notes=notes,
        created_at=now or utcnow(),
        **geometry,
        **places,
    )
    plot.grave_type = kind
    plot.section = section_row
    db.session.add(plot)
    db.session.flush()
    audit.record(tenant, actor, "plot.create", plot, after=plot_snapshot(plot), now=now)
    return plot


def _code_taken(cemetery: Cemetery, codes: Iterable[str]) -> list[str]:
    codes = list(codes)
    taken: list[str] = []
    for i in range(0, len(codes), STATUS_CHUNK):
        taken += db.session.scalars(
            select(Plot.code).where(
                Plot.cemetery_id == cemetery.id, Plot.code.in_(codes[i : i + STATUS_CHUNK])
            )
        )
    return sorted(taken)


def plot_code(section: str, row: str | None, number: int, width: int = 2) -> str:
    """ "B-04-12": section, row, number (numbers zero-padded to two digits)."""
    parts = [section, row, f"{number:0{width}d}"]
    return "-".join(p for p in parts if p)


def create_plot_row(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    *,
    section: str,
    row: str | None,
    first: int,
    count: int,
    grave_type: GraveType | str,
    x: int = 0,
    y: int = 0,
    step: int = 12,
    width: int = 10,
    height: int = 20,
    vertical: bool = False,
    now: datetime | None = None,
) -> list[Plot]:
    """A row of ``count`` plots numbered from ``first`` ("B-04-01",
    "B-04-02" …), placed on the map from (``x``, ``y``) every ``step`` units
    to the right (or downwards, ``vertical``). All or nothing: a code that
    exists refuses the whole row."""
    require_manage(tenant, actor)
    errors: dict[str, list] = {}
    section_name = _text(errors, "section", section, SECTION_MAX, required=True)
    row_text = _text(errors, "row", None if row is None else str(row), ROW_MAX)
    first_n = _int(errors, "first", first, 0, 99_999)
    count_n = _int(errors, "count", count, 1, ROW_COUNT_MAX)
    x0 = _int(errors, "x", x, 0, MAP_MAX)
    y0 = _int(errors, "y", y, 0, MAP_MAX)
    step_n = _int(errors, "step", step, 1, 10_000)
    width_n = _int(errors, "width", width, 1, 10_000)
    height_n = _int(errors, "height", height, 1, 10_000)
    try:
        kind = _grave_type(tenant, grave_type)
    except ValidationFailed as refusal:
        errors.update(refusal.fields)
        kind = None
    _raise(errors)
    assert section_name and first_n is not None and count_n and kind is not None
    assert x0 is not None and y0 is not None and step_n and width_n and height_n
    numbers = range(first_n, first_n + count_n)
    codes = [plot_code(section_name, row_text, n) for n in numbers]
    taken = _code_taken(cemetery, codes)
    if taken:
        raise ValidationFailed(
            CHECK,
            {
                "first": [
                    _l("Diese Grabnummern gibt es schon: %(codes)s", codes=", ".join(taken[:10]))
                ]
            },
        )
    section_row = get_section(tenant, cemetery, section_name, create=True)
    assert section_row is not None
    now = now or utcnow()
    plots = []
    for i, (n, code) in enumerate(zip(numbers, codes, strict=True)):
        plot = Plot(
            tenant_id=tenant.id,
            cemetery_id=cemetery.id,
            section_id=section_row.id,
            grave_type_id=kind.id,
            code=code,
            row=row_text,
            number=str(n),
            sort_key=default_sort_key(row_text, str(n)),
            x=x0 if vertical else x0 + i * step_n,
            y=y0 + i * step_n if vertical else y0,
            width=width_n,
            height=height_n,
            created_at=now,
        )
        plots.append(plot)
    db.session.add_all(plots)
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "plot.create_row",
        section_row,
        after={"codes": codes, "grave_type": kind.key},
        now=now,
    )
    return plots


def update_plot(
    tenant: Tenant,
    actor: User | None,
    plot: Plot,
    *,
    grave_type: GraveType | str | None = None,
    notes: str | None = None,
    x: int | None = None,
    y: int | None = None,
    now: datetime | None = None,
) -> Plot:
    """Change a plot's grave type, notes or map position; audited."""
    require_manage(tenant, actor)
    errors: dict[str, list] = {}
    notes = _text(errors, "notes", notes, LONG_TEXT_MAX)
    x_n = _int(errors, "x", x, 0, MAP_MAX, required=False)
    y_n = _int(errors, "y", y, 0, MAP_MAX, required=False)
    kind = None
    if grave_type is not None:
        try:
            kind = _grave_type(tenant, grave_type)
        except ValidationFailed as refusal:
            errors.update(refusal.fields)
    _raise(errors)
    before = plot_snapshot(plot)
    if kind is not None:
        plot.grave_type = kind
    plot.notes, plot.x, plot.y = notes, x_n, y_n
    db.session.flush()
    audit.record(
        tenant, actor, "plot.update", plot, before=before, after=plot_snapshot(plot), now=now
    )
    return plot


def block_plot(
    tenant: Tenant,
    actor: User | None,
    plot: Plot,
    *,
    blocked: bool,
    reason: str | None = None,
    now: datetime | None = None,
) -> Plot:
    """Block a plot (no allocation, no burial; a reason is required) or
    unblock it; audited."""
    require_manage(tenant, actor)
    errors: dict[str, list] = {}
    reason = _text(errors, "reason", reason, 300, required=blocked)
    _raise(errors)
    before = plot_snapshot(plot)
    plot.blocked = blocked
    plot.blocked_reason = reason if blocked else None
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "plot.block" if blocked else "plot.unblock",
        plot,
        before=before,
        after=plot_snapshot(plot),
        reason=reason,
        now=now,
    )
    return plot


# --- status -------------------------------------------------------------------------


def _status_query(tenant: Tenant, ids: Any) -> Select:
    """Per plot: blocked, active right's end, latest active rest period and
    whether it has burials (under the active right, or any without one)."""
    right = (
        select(GraveRight.plot_id, GraveRight.id, GraveRight.start_date, GraveRight.end_date)
        .where(in_tenant(GraveRight, tenant), GraveRight.status == "active")
        .subquery()
    )
    counted = or_(
        right.c.id.is_(None),
        Burial.right_id == right.c.id,
        Burial.burial_date >= right.c.start_date,
    )
    return (
        select(
            Plot.id,
            Plot.blocked,
            right.c.end_date,
            func.max(Burial.rest_until),
            func.sum(case((and_(Burial.id.is_not(None), counted), 1), else_=0)),
        )
        .select_from(Plot)
        .outerjoin(right, right.c.plot_id == Plot.id)
        .outerjoin(
            Burial,
            and_(Burial.plot_id == Plot.id, Burial.status.in_(ACTIVE_BURIAL_STATUSES)),
        )
        .where(in_tenant(Plot, tenant), Plot.id.in_(ids))
        .group_by(Plot.id, Plot.blocked, right.c.end_date)
    )


def plot_statuses(tenant: Tenant, plot_ids: Any, today: date) -> dict[int, str]:
    """``{plot id: status}`` for a list of ids or a ``select`` of ids: one
    set-based query (a list is sent in chunks of ``STATUS_CHUNK``)."""
    if isinstance(plot_ids, Select):
        chunks: list[Any] = [plot_ids]
    else:
        ids = [i for i in plot_ids if is_key(i)]
        chunks = [ids[i : i + STATUS_CHUNK] for i in range(0, len(ids), STATUS_CHUNK)]
    statuses: dict[int, str] = {}
    for chunk in chunks:
        for plot_id, blocked, right_end, last_rest, burials in db.session.execute(
            _status_query(tenant, chunk)
        ):
            state = PlotState(
                blocked=bool(blocked),
                right_end=right_end,
                last_rest_until=last_rest,
                has_burials=bool(burials),
            )
            statuses[plot_id] = plot_status(state, today)
    return statuses


def status_of(tenant: Tenant, plot: Plot, today: date | None = None) -> str:
    return plot_statuses(tenant, [plot.id], today or local_today(tenant))[plot.id]


def plots_of(tenant: Tenant) -> Any:
    """``in_tenant(Plot, tenant)`` for queries that also filter by cemetery
    or section: written as ``tenant_id + 0`` so that SQLite's planner (which
    has no statistics) takes the cemetery's or section's index rather than
    walking every plot of the tenant by ``ix_plot_tenant_id``."""
    return (Plot.tenant_id + 0) == tenant.id


def list_plots(
    tenant: Tenant,
    cemetery: Cemetery,
    *,
    status: str | None = None,
    grave_type: GraveType | str | None = None,
    section_id: int | None = None,
    today: date | None = None,
) -> list[tuple[Plot, str]]:
    """The cemetery's plots (of one grave type, in one section) with their
    status, in plot order (section, sort key, code); two queries."""
    today = today or local_today(tenant)
    conditions = [plots_of(tenant)]
    if section_id is not None:
        if not is_key(section_id):
            return []
        # The section's index (its plots), not the cemetery's (all of them).
        conditions += [Plot.section_id == section_id, (Plot.cemetery_id + 0) == cemetery.id]
    else:
        conditions.append(Plot.cemetery_id == cemetery.id)
    if grave_type is not None:
        conditions.append(Plot.grave_type_id == _grave_type(tenant, grave_type).id)
    statuses = plot_statuses(tenant, select(Plot.id).where(*conditions), today)
    plots = db.session.scalars(
        select(Plot)
        .join(GraveType, GraveType.id == Plot.grave_type_id)
        .outerjoin(Section, Section.id == Plot.section_id)
        .where(*conditions)
        .options(contains_eager(Plot.grave_type), contains_eager(Plot.section))
        .order_by(Section.name, Plot.sort_key, Plot.code)
    )
    pairs = [(plot, statuses.get(plot.id, "free")) for plot in plots]
    if status is not None:
        pairs = [pair for pair in pairs if pair[1] == status]
    return pairs


# --- places -------------------------------------------------------------------------


def capacity(plot: Plot, kind: str) -> int:
    if kind not in BURIAL_KINDS:
        raise ValidationFailed(CHECK, {"kind": [_l("Sarg oder Urne.")]})
    return plot.coffin_capacity if kind == "coffin" else plot.urn_capacity


def free_place(plot: Plot, kind: str, on: date, *, excluding: int | None = None) -> int | None:
    """The lowest free place number for a ``kind`` burial on ``on`` (a place
    is taken while an active burial of that kind rests there; ``excluding``:
    a burial being moved), None: full."""
    places = capacity(plot, kind)
    query = select(Burial.place).where(
        Burial.plot_id == plot.id,
        Burial.kind == kind,
        Burial.status.in_(ACTIVE_BURIAL_STATUSES),
        Burial.rest_until >= on,
    )
    if excluding is not None:
        query = query.where(Burial.id != excluding)
    taken = set(db.session.scalars(query))
    for place in range(1, places + 1):
        if place not in taken:
            return place
    return None


def get_plot(tenant: Tenant, plot_id: Any) -> Plot:
    return get_scoped(Plot, tenant, plot_id)


def create_section(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    *,
    name: str,
    description: str | None = None,
    now: datetime | None = None,
) -> Section:
    """A new Feld/Abteilung; names are unique within the cemetery."""
    require_manage(tenant, actor)
    errors: dict[str, list] = {}
    name_text = _text(errors, "name", name, SECTION_MAX, required=True)
    description = _text(errors, "description", description, 300)
    if name_text and "name" not in errors and get_section(tenant, cemetery, name_text):
        errors["name"] = [_l("Dieses Feld gibt es auf dem Friedhof schon.")]
    _raise(errors)
    section = Section(
        tenant_id=tenant.id, cemetery_id=cemetery.id, name=name_text, description=description
    )
    db.session.add(section)
    db.session.flush()
    audit.record(tenant, actor, "section.create", section, after={"name": name_text}, now=now)
    return section
