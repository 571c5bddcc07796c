"""``cemetery.right_expiry``: letters to holders before their right ends.

Every day, for each municipality: the active grave rights ending within
``CEMETERY_EXPIRY_NOTICE_MONTHS`` (app setting, default 6) months from the
local today whose holder was not written to for this end yet
(``GraveRight.expiry_notified_at`` is None; an extension resets it). A
holder with an e-mail address gets the mail ``grave_right_expiry`` — the
end, the extension offered where the grave type is extendable (with the
family portal's link), what happens otherwise — under the unique key
``grave-right-expiry:<right id>:<end date>``, so a second run (or a second
scheduler) sends nothing twice; the right remembers it. Holders without an
e-mail address are counted as ``letters``: clerks see them on
``/<tenant>/my-graves/letters`` and note the letter there."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import transaction
from booking.accounts.models import User
from booking.core import utcnow
from booking.extensions import db
from booking.fees.invoices import local_date
from booking.jobs import Job
from booking.notifications.service import notify
from booking.tenants.models import Tenant
from cemetery import burials
from cemetery.models import GraveRight, Plot

DEFAULT_NOTICE_MONTHS = 6
CHECKPOINT_EVERY = 50


def notice_months() -> int:
    """``CEMETERY_EXPIRY_NOTICE_MONTHS`` (whole months ≥ 1), else 6."""
    value = current_app.config.get("CEMETERY_EXPIRY_NOTICE_MONTHS", DEFAULT_NOTICE_MONTHS)
    try:
        months = int(value)
    except (TypeError, ValueError):
        return DEFAULT_NOTICE_MONTHS
    return months if months >= 1 else DEFAULT_NOTICE_MONTHS


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def notice_until(today: date, months: int) -> date:
    """The last end date written to on ``today``."""
    return add_months(today, months)


def notice_key(right: GraveRight) -> str:
    return f"grave-right-expiry:{right.id}:{right.end_date.isoformat()}"


def due_rights(tenant: Tenant, today: date, months: int) -> list[GraveRight]:
    """Active rights ending between ``today`` and ``months`` ahead, not yet written to."""
    return list(
        db.session.scalars(
            select(GraveRight)
            .where(
                GraveRight.tenant_id == tenant.id,
                GraveRight.status == "active",
                GraveRight.end_date >= today,
                GraveRight.end_date <= notice_until(today, months),
                GraveRight.expiry_notified_at.is_(None),
            )
            .options(
                selectinload(GraveRight.holder),
                selectinload(GraveRight.plot).selectinload(Plot.cemetery),
                selectinload(GraveRight.plot).selectinload(Plot.grave_type),
                selectinload(GraveRight.plot).selectinload(Plot.section),
            )
            .order_by(GraveRight.end_date, GraveRight.id)
        )
    )


def send_right_expiry(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    months = notice_months()
    queued = letters = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        today = local_date(tenant, now)
        for right in due_rights(tenant, today, months):
            holder = right.holder
            email = (holder.email or "").strip()
            if not email:
                letters += 1  # listed for the clerks: a letter by post
                continue
            account = db.session.get(User, holder.user_id) if holder.user_id else None
            grave_type = right.plot.grave_type
            notify(
                "grave_right_expiry",
                email,
                tenant,
                key=notice_key(right),
                locale=account.locale if account is not None else None,
                right=right,
                plot=right.plot,
                grave_type=grave_type,
                holder=holder,
                extendable=grave_type.extendable,
                has_account=account is not None,
            )
            right.expiry_notified_at = now
            queued += 1
            if queued % CHECKPOINT_EVERY == 0:
                transaction.checkpoint()
    db.session.flush()
    return {"queued": queued, "letters": letters}


def mark_burials_done(now: datetime | None = None) -> dict[str, int]:
    """``cemetery.burials_done``: confirmed burials whose local day has
    passed are stored as ``done`` (every page shows them so already)."""
    now = now or utcnow()
    done = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        done += burials.mark_done(tenant, local_date(tenant, now))
    return {"done": done}


JOBS: tuple[Job, ...] = (
    Job(
        "cemetery.right_expiry",
        send_right_expiry,
        _l("Nutzungsberechtigte vor dem Ende ihres Grabnutzungsrechts anschreiben"),
        trigger="cron",
        schedule={"hour": 7, "minute": 30},
    ),
    Job(
        "cemetery.burials_done",
        mark_burials_done,
        _l("Vergangene Bestattungen als erledigt vermerken"),
        trigger="cron",
        schedule={"hour": 0, "minute": 20},
    ),
)
