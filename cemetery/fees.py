"""The cemetery fee schedule (Friedhofsgebühren) and what a case costs.

One JSON document per tenant (``CemeteryFeeSchedule.schedule``), always read
and replaced as a whole, validated strictly here (``validate_schedule``)::

    {"rights": {"wahlgrab": {"per_year_cents": 4500},
                "reihengrab": {"flat_cents": 90000}},
     "extension_per_year_cents": {"wahlgrab": 4500},
     "burial_cents": {"coffin": 65000, "urn": 25000},
     "chapel_cents": 18000,
     "saturday_surcharge_cents": 15000,
     "admin_cents": {"gravestone_permit": 6000, "transfer": 3000}}

Every key is optional: what the schedule does not name costs nothing (an
empty schedule makes everything free). Amounts are whole, non-negative
cents up to ``MAX_CENTS``; grave type keys must be the tenant's. A right
costs ``per_year_cents`` for every year of its term, or ``flat_cents`` once
whatever the term. An extension costs ``extension_per_year_cents`` of its
grave type per (whole) year; a grave type missing there but priced per year
under ``rights`` is extended at that rate.

Fees are ``booking.fees.pricing.Fee`` objects with ``CemeteryFeeItem``
items (labels German, items add up); ``bill`` turns one into an invoice
without a booking (``booking.fees.invoices.issue_case_invoice``).

Plain functions over ``db.session``: they flush, never commit."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.fees.invoices import issue_case_invoice
from booking.fees.models import Invoice
from booking.fees.pricing import CURRENCY, Fee, FeeItem
from booking.fees.rules import MAX_CENTS
from booking.tenants.models import Tenant
from cemetery.models import BURIAL_KINDS, CemeteryFeeSchedule, Contact, GraveType

EXAMPLE_PATH = Path(__file__).resolve().parent.parent / "config" / "cemetery_fees.example.json"

TOP_KEYS = (
    "rights",
    "extension_per_year_cents",
    "burial_cents",
    "chapel_cents",
    "saturday_surcharge_cents",
    "admin_cents",
)
RIGHT_KEYS = ("per_year_cents", "flat_cents")
ADMIN_KEYS = ("gravestone_permit", "transfer")

# What a cemetery fee item is (its label follows from it).
ITEM_WHATS = (
    "right_year",
    "right_flat",
    "extension",
    "burial_coffin",
    "burial_urn",
    "chapel",
    "saturday",
    "gravestone_permit",
    "transfer",
)


@dataclass(frozen=True)
class CemeteryFeeItem(FeeItem):
    """One line of a cemetery fee: ``count`` (years, or 1) at ``each_cents``.
    ``what`` is one of ``ITEM_WHATS``; ``grave_type`` the grave type's name
    for rights and extensions."""

    what: str = ""
    grave_type: str | None = None

    def _label(self, locale: Locale) -> Any:  # flask_babel is untyped
        each = format_currency(Decimal(self.each_cents) / 100, CURRENCY, locale=locale)
        values: dict[str, Any] = {"count": self.count, "each": each, "type": self.grave_type}
        if self.what == "right_year":
            return ngettext(
                "Nutzungsrecht %(type)s: %(num)d Jahr à %(each)s",
                "Nutzungsrecht %(type)s: %(num)d Jahre à %(each)s",
                self.count,
                **values,
            )
        if self.what == "right_flat":
            return _("Nutzungsrecht %(type)s (pauschal)", **values)
        if self.what == "extension":
            return ngettext(
                "Verlängerung des Nutzungsrechts %(type)s: %(num)d Jahr à %(each)s",
                "Verlängerung des Nutzungsrechts %(type)s: %(num)d Jahre à %(each)s",
                self.count,
                **values,
            )
        if self.what == "burial_coffin":
            return _("Bestattung (Sarg)")
        if self.what == "burial_urn":
            return _("Beisetzung (Urne)")
        if self.what == "chapel":
            return _("Benutzung der Trauerhalle")
        if self.what == "saturday":
            return _("Zuschlag für eine Bestattung am Samstag")
        if self.what == "gravestone_permit":
            return _("Genehmigung eines Grabmals")
        if self.what == "transfer":
            return _("Umschreibung des Nutzungsrechts")
        return self.what


def _item(what: str, cents: int, count: int = 1, grave_type: str | None = None) -> FeeItem:
    return CemeteryFeeItem(
        "usage",
        count=count,
        each_cents=cents,
        rate_cents=cents,
        what=what,
        grave_type=grave_type,
    )


def _fee(items: list[FeeItem]) -> Fee:
    kept = tuple(item for item in items if item.amount_cents)
    return Fee(amount_cents=sum(item.amount_cents for item in kept), items=kept)


# --- the schedule --------------------------------------------------------------------


def _grave_type_keys(tenant: Tenant) -> set[str]:
    return set(db.session.scalars(select(GraveType.key).where(GraveType.tenant_id == tenant.id)))


def _cents(problems: dict[str, list[Any]], name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems[name] = [_l("Ein Betrag in ganzen Cent (eine ganze Zahl).")]
    elif value < 0:
        problems[name] = [_l("Der Betrag darf nicht negativ sein.")]
    elif value > MAX_CENTS:
        problems[name] = [_l("Höchstens %(max)d Cent.", max=MAX_CENTS)]


def _mapping(problems: dict[str, list[Any]], name: str, value: Any) -> bool:
    if not isinstance(value, dict):
        problems[name] = [_l("Hier wird ein Objekt erwartet.")]
        return False
    return True


def _unknown(problems: dict[str, list[Any]], name: str) -> None:
    problems[name] = [_l("Unbekannter Eintrag.")]


def validate_schedule(tenant: Tenant, document: Any) -> dict[str, Any]:
    """``document`` checked: a copy of it, or ``ValidationFailed`` whose
    fields name each problem by its path (``rights.wahlgrab.per_year_cents``,
    ``burial_cents.coffin``, ``chapel_cents`` …)."""
    problems: dict[str, list[Any]] = {}
    if not isinstance(document, dict):
        raise ValidationFailed(
            _("Die Gebührenordnung ist ungültig."),
            {"schedule": [_l("Hier wird ein Objekt erwartet.")]},
        )
    known_types = _grave_type_keys(tenant)
    for key, value in document.items():
        if key not in TOP_KEYS:
            _unknown(problems, str(key))
        elif key == "rights":
            if not _mapping(problems, key, value):
                continue
            for type_key, rule in value.items():
                path = f"rights.{type_key}"
                if type_key not in known_types:
                    problems[path] = [_l("Unbekannte Grabart.")]
                    continue
                if not _mapping(problems, path, rule):
                    continue
                for rule_key, cents in rule.items():
                    if rule_key not in RIGHT_KEYS:
                        _unknown(problems, f"{path}.{rule_key}")
                    else:
                        _cents(problems, f"{path}.{rule_key}", cents)
                if len(set(rule) & set(RIGHT_KEYS)) != 1 and path not in problems:
                    problems[path] = [
                        _l("Entweder ein Betrag je Jahr oder ein Pauschalbetrag, genau einer.")
                    ]
        elif key == "extension_per_year_cents":
            if not _mapping(problems, key, value):
                continue
            for type_key, cents in value.items():
                path = f"{key}.{type_key}"
                if type_key not in known_types:
                    problems[path] = [_l("Unbekannte Grabart.")]
                else:
                    _cents(problems, path, cents)
        elif key in ("burial_cents", "admin_cents"):
            if not _mapping(problems, key, value):
                continue
            allowed = BURIAL_KINDS if key == "burial_cents" else ADMIN_KEYS
            for sub, cents in value.items():
                if sub not in allowed:
                    _unknown(problems, f"{key}.{sub}")
                else:
                    _cents(problems, f"{key}.{sub}", cents)
        else:
            _cents(problems, key, value)
    if problems:
        raise ValidationFailed(_("Die Gebührenordnung enthält Fehler."), problems)
    return copy.deepcopy(document)


def _row(tenant: Tenant) -> CemeteryFeeSchedule | None:
    return db.session.get(CemeteryFeeSchedule, tenant.id)


def schedule_of(tenant: Tenant) -> dict[str, Any]:
    """The tenant's schedule (``{}``: none yet, everything is free)."""
    row = _row(tenant)
    return copy.deepcopy(row.schedule) if row is not None and row.schedule else {}


def set_schedule(
    tenant: Tenant, actor: User | None, document: Any, now: datetime | None = None
) -> dict[str, Any]:
    """Replace the tenant's schedule with ``document`` (``ValidationFailed``
    naming the field, nothing changed); audited with before and after."""
    now = now or utcnow()
    schedule = validate_schedule(tenant, document)
    row = _row(tenant)
    before = copy.deepcopy(row.schedule) if row is not None else None
    if row is None:
        row = CemeteryFeeSchedule(tenant_id=tenant.id, schedule=schedule, updated_at=now)
        db.session.add(row)
    else:
        row.schedule = schedule
        row.updated_at = now
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "cemetery.fee_schedule",
        row,
        before=before,
        after=copy.deepcopy(schedule),
        now=now,
    )
    return copy.deepcopy(schedule)


def example_schedule() -> dict[str, Any]:
    """``config/cemetery_fees.example.json``."""
    return json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


def load_example(tenant: Tenant, actor: User | None, now: datetime | None = None) -> dict:
    """Give ``tenant`` the example schedule (the demo; a new municipality's
    starting point). Grave types the tenant lacks are left out."""
    document = example_schedule()
    keys = _grave_type_keys(tenant)
    for section in ("rights", "extension_per_year_cents"):
        if isinstance(document.get(section), dict):
            document[section] = {k: v for k, v in document[section].items() if k in keys}
    return set_schedule(tenant, actor, document, now)


# --- what a case costs ---------------------------------------------------------------


def _years(years: Any) -> int:
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."),
            {"years": [_l("Ganze Jahre, mindestens eines.")]},
        )
    return years


def right_fee(tenant: Tenant, grave_type: GraveType, years: int) -> Fee:
    """A new right on a plot of ``grave_type`` for ``years``: per year of
    the term, or the flat amount once."""
    years = _years(years)
    rule = schedule_of(tenant).get("rights", {}).get(grave_type.key, {})
    if "flat_cents" in rule:
        return _fee([_item("right_flat", rule["flat_cents"], grave_type=grave_type.name)])
    per_year = rule.get("per_year_cents", 0)
    return _fee([_item("right_year", per_year, count=years, grave_type=grave_type.name)])


def extension_per_year_cents(tenant: Tenant, grave_type: GraveType) -> int:
    """What one more year of a right on ``grave_type`` costs."""
    schedule = schedule_of(tenant)
    rates = schedule.get("extension_per_year_cents", {})
    if grave_type.key in rates:
        return rates[grave_type.key]
    return schedule.get("rights", {}).get(grave_type.key, {}).get("per_year_cents", 0)


def extension_fee(tenant: Tenant, grave_type: GraveType, years: int) -> Fee:
    """Extending a right on ``grave_type`` by ``years`` whole years."""
    years = _years(years)
    rate = extension_per_year_cents(tenant, grave_type)
    return _fee([_item("extension", rate, count=years, grave_type=grave_type.name)])


def burial_fee(tenant: Tenant, *, kind: str, chapel: bool, saturday: bool) -> Fee:
    """A burial of ``kind`` (coffin, urn), with the chapel when ``chapel``,
    with the Saturday surcharge when ``saturday``."""
    if kind not in BURIAL_KINDS:
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."), {"kind": [_l("Sarg oder Urne.")]}
        )
    schedule = schedule_of(tenant)
    items = [_item(f"burial_{kind}", schedule.get("burial_cents", {}).get(kind, 0))]
    if chapel:
        items.append(_item("chapel", schedule.get("chapel_cents", 0)))
    if saturday:
        items.append(_item("saturday", schedule.get("saturday_surcharge_cents", 0)))
    return _fee(items)


def admin_fee(tenant: Tenant, key: str) -> Fee:
    """An administrative fee: ``gravestone_permit`` or ``transfer``."""
    if key not in ADMIN_KEYS:
        raise ValueError(f"unknown administrative fee: {key!r}")
    return _fee([_item(key, schedule_of(tenant).get("admin_cents", {}).get(key, 0))])


def bill(
    tenant: Tenant,
    fee: Fee,
    *,
    contact: Contact | None,
    user_id: int | None = None,
    recipient_name: str | None = None,
    now: datetime,
) -> Invoice | None:
    """An open invoice (subject ``cemetery``) for ``fee``, addressed to
    ``contact`` (else ``recipient_name``), visible to ``contact.user_id``
    (else ``user_id``) in the family portal; None when the fee is 0."""
    if fee.amount_cents <= 0 and fee.deposit_cents <= 0:
        return None
    if contact is not None:
        name = contact.name
        address = "\n".join(contact.address_lines[1:]) or None
        user_id = contact.user_id or user_id
    else:
        name, address = recipient_name, None
    return issue_case_invoice(
        tenant, fee, recipient_name=name, recipient_address=address, user_id=user_id, now=now
    )
