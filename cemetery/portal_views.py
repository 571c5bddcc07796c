"""The family portal (``/<tenant>/my-graves``): a grave right's holder whose
account is linked to the holder contact (``Contact.user_id``) sees their
graves — cemetery, section, plot, grave type, the right's end, the rest
periods running, the history — applies for an extension (the fee shown
before anything is committed; the extension takes effect and an open
Gebührenbescheid is issued, to be paid online or by transfer) and finds
their cemetery invoices.

For clerks: linking a contact to an account (``/my-graves/link``, by the
account's e-mail, explicit and audited — never automatic by a matching
address), and the letters to write (``/my-graves/letters``): holders
without an e-mail address whose right ends soon (``cemetery.right_expiry``
mails the others).

Another tenant's right, another holder's right, a right that has ended: 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from booking import transaction
from booking.accounts.access import current_actor, requires
from booking.accounts.models import User
from booking.accounts.service import find_user
from booking.audit import service as audit
from booking.core import Conflict, DomainError, Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees import invoices
from booking.fees.models import Invoice
from booking.forms import flash_error, show_errors
from booking.tenants.models import Tenant
from booking.tenants.service import MAX_KEY, get_scoped, scoped
from booking.web import money
from cemetery import fees, rights
from cemetery.access import can_manage_cemetery, is_holder
from cemetery.models import (
    ACTIVE_BURIAL_STATUSES,
    Burial,
    Contact,
    GraveRight,
    GraveRightEvent,
    Plot,
)

bp = Blueprint("family", __name__, url_prefix="/<tenant>/my-graves")

# The portal offers extensions of 1 to this many years at once (the clerk
# can extend further).
MAX_EXTENSION_YEARS = 30
PORTAL_REASON = "Antrag im Familienportal"


# --- reading (plain functions, no request) ----------------------------------------------


def local_today(tenant: Tenant, now: datetime | None = None) -> date:
    return invoices.local_date(tenant, now or utcnow())


def holder_contacts(tenant: Tenant, user: User) -> list[Contact]:
    """The tenant's contacts linked to ``user``'s account."""
    return list(
        db.session.scalars(
            scoped(Contact, tenant).where(Contact.user_id == user.id).order_by(Contact.id)
        )
    )


def rights_of_user(tenant: Tenant, user: User) -> list[GraveRight]:
    """The rights whose holder contact is linked to ``user``: active first
    (soonest end first), then ended ones; with plot, cemetery, section,
    grave type and history loaded."""
    contact_ids = select(Contact.id).where(
        Contact.tenant_id == tenant.id, Contact.user_id == user.id
    )
    plot = selectinload(GraveRight.plot)
    return list(
        db.session.scalars(
            scoped(GraveRight, tenant)
            .where(GraveRight.holder_id.in_(contact_ids))
            .options(
                plot.selectinload(Plot.cemetery),
                plot.selectinload(Plot.section),
                plot.selectinload(Plot.grave_type),
                selectinload(GraveRight.events),
            )
            .order_by((GraveRight.status != "active"), GraveRight.end_date, GraveRight.id)
        )
    )


def running_rest_periods(
    tenant: Tenant, plot_ids: list[int], today: date
) -> dict[int, list[Burial]]:
    """Per plot, the burials whose rest period still runs on ``today`` (one query)."""
    if not plot_ids:
        return {}
    rows = db.session.scalars(
        scoped(Burial, tenant)
        .where(
            Burial.plot_id.in_(plot_ids),
            Burial.status.in_(ACTIVE_BURIAL_STATUSES),
            Burial.rest_until >= today,
        )
        .order_by(Burial.rest_until.desc(), Burial.id)
    )
    out: dict[int, list[Burial]] = {}
    for burial in rows:
        out.setdefault(burial.plot_id, []).append(burial)
    return out


def own_right(tenant: Tenant, user: User, right_id: Any) -> GraveRight:
    """An active right ``user`` holds; 404 for anything else."""
    right = get_scoped(GraveRight, tenant, right_id)
    if right.status != "active" or not is_holder(user, right):
        raise NotFound(_("Nicht gefunden."))
    return right


def checked_years(value: Any) -> int:
    """Whole years 1..MAX_EXTENSION_YEARS (422 with field ``years`` otherwise)."""
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (1 <= value <= MAX_EXTENSION_YEARS)
    ):
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."),
            {
                "years": [
                    _l(
                        "Ganze Jahre von 1 bis %(max)d.",
                        max=MAX_EXTENSION_YEARS,
                    )
                ]
            },
        )
    return value


def apply_for_extension(
    tenant: Tenant, user: User, right: GraveRight, years: int, now: datetime
) -> tuple[GraveRight, Any]:
    """The holder extends their right by ``years`` (``cemetery.rights.extend_right``
    with the holder as actor, billed, audited there): the new end at once and
    an open invoice for the fee."""
    if not is_holder(user, right):
        raise NotFound(_("Nicht gefunden."))
    return rights.extend_right(
        tenant, user, right, checked_years(years), now=now, bill=True, reason=PORTAL_REASON
    )


def link_contact(
    tenant: Tenant, actor: User, contact: Contact, email: str | None, now: datetime
) -> Contact:
    """A clerk links ``contact`` to the account with ``email`` (``None``:
    unlinks it). Only confirmed, active accounts; audited."""
    if not can_manage_cemetery(actor, tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    if contact.tenant_id != tenant.id:
        raise NotFound(_("Nicht gefunden."))
    user = None
    if email is not None:
        user = find_user(email) if email.strip() else None
        if user is None or not user.active or user.email_confirmed_at is None:
            raise ValidationFailed(
                _("Bitte prüfen Sie die Eingaben."),
                {
                    "email": [
                        _l(
                            "Zu dieser E-Mail-Adresse gibt es kein bestätigtes Konto. "
                            "Die Person muss sich zuerst registrieren und ihre Adresse bestätigen."
                        )
                    ]
                },
            )
    before = {"user_id": contact.user_id}
    contact.user_id = user.id if user is not None else None
    db.session.flush()
    _follow_invoices(tenant, contact, before["user_id"], contact.user_id)
    audit.record(
        tenant,
        actor,
        "cemetery.contact_link" if user is not None else "cemetery.contact_unlink",
        contact,
        before=before,
        after={"user_id": contact.user_id, "email": user.email if user else None},
        now=now,
    )
    return contact


def _follow_invoices(tenant: Tenant, contact: Contact, old: int | None, new: int | None) -> None:
    """The invoices of the contact's rights (billed before the link, so
    without an account) follow the link: the linked account sees and pays
    them; unlinking takes them away from the old account."""
    invoice_ids = (
        select(GraveRightEvent.invoice_id)
        .join(GraveRight, GraveRight.id == GraveRightEvent.right_id)
        .where(
            GraveRight.tenant_id == tenant.id,
            GraveRight.holder_id == contact.id,
            GraveRightEvent.invoice_id.is_not(None),
        )
    )
    owner = Invoice.user_id.is_(None) if old is None else Invoice.user_id == old
    db.session.execute(
        update(Invoice)
        .where(
            Invoice.tenant_id == tenant.id,
            Invoice.booking_id.is_(None),
            Invoice.id.in_(invoice_ids),
            owner,
        )
        .values(user_id=new)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def letters_to_write(tenant: Tenant, today: date, months: int) -> list[GraveRight]:
    """Active rights ending within ``months`` whose holder has no e-mail
    address and who were not written to for this end yet: letters by post."""
    from cemetery.jobs import notice_until

    until = notice_until(today, months)
    return list(
        db.session.scalars(
            scoped(GraveRight, tenant)
            .join(Contact, Contact.id == GraveRight.holder_id)
            .where(
                GraveRight.status == "active",
                GraveRight.end_date <= until,
                GraveRight.end_date >= today,
                GraveRight.expiry_notified_at.is_(None),
                or_(Contact.email.is_(None), func.trim(Contact.email) == ""),
            )
            .options(
                selectinload(GraveRight.plot).selectinload(Plot.cemetery),
                selectinload(GraveRight.plot).selectinload(Plot.grave_type),
                selectinload(GraveRight.holder),
            )
            .order_by(GraveRight.end_date, GraveRight.id)
        )
    )


def letter_written(tenant: Tenant, actor: User, right: GraveRight, now: datetime) -> GraveRight:
    """A clerk sent the expiry letter by post: noted like a mail (audited)."""
    if not can_manage_cemetery(actor, tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    if right.expiry_notified_at is not None:
        raise Conflict(_("Für dieses Nutzungsrecht ist der Brief schon vermerkt."))
    right.expiry_notified_at = now
    db.session.flush()
    audit.record(
        tenant,
        actor,
        "grave_right.expiry_letter",
        right,
        after={"end_date": right.end_date.isoformat(), "by": "letter"},
        now=now,
    )
    return right


EVENT_LABELS = {
    "acquired": _l("Nutzungsrecht erworben"),
    "extended": _l("Nutzungsrecht verlängert"),
    "transferred": _l("Nutzungsrecht übertragen"),
    "surrendered": _l("Auf das Nutzungsrecht verzichtet"),
    "closed": _l("Nutzungsrecht beendet"),
    "imported": _l("Aus dem bisherigen Friedhofsregister übernommen"),
}


@bp.app_template_global("family_event_label")
def family_event_label(event: Any) -> str:
    """A history line of a right for its holder."""
    label = str(EVENT_LABELS.get(event.kind, event.kind))
    if event.kind == "extended" and event.years:
        return _("%(label)s um %(years)d Jahre", label=label, years=event.years)
    return label


# --- forms ---------------------------------------------------------------------------


class ExtensionForm(FlaskForm):
    years = IntegerField(
        _l("Verlängern um (Jahre)"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_EXTENSION_YEARS)],
    )
    # The end the holder saw with the fee: a second submit (a double click,
    # another tab) after the first extended the right is refused.
    end = HiddenField()


class LinkForm(FlaskForm):
    contact_id = IntegerField(
        _l("Kontakt-Nr."), validators=[InputRequired(), NumberRange(min=1, max=MAX_KEY)]
    )
    email = StringField(_l("E-Mail-Adresse des Kontos"), validators=[Optional()])
    unlink = BooleanField(_l("Verknüpfung aufheben"))


# --- the holder's pages -------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    tenant = g.tenant
    user = current_actor()
    today = local_today(tenant)
    rights = rights_of_user(tenant, user)
    active = [r for r in rights if r.status == "active"]
    rest = running_rest_periods(tenant, [r.plot_id for r in active], today)
    open_invoices = [i for i in invoices.case_invoices_of(tenant, user) if i.status == "open"]
    return render_template(
        "cemetery/portal.html",
        linked=bool(holder_contacts(tenant, user)),
        active=active,
        ended=[r for r in rights if r.status != "active"],
        rest=rest,
        today=today,
        open_invoices=open_invoices,
        outstanding=invoices.outstanding_cents,
        is_staff=can_manage_cemetery(user, tenant),
    )


def _extension_page(right: GraveRight, form: ExtensionForm, years: int | None, status: int = 200):
    tenant = g.tenant
    grave_type = right.plot.grave_type
    fee = fees.extension_fee(tenant, grave_type, years) if years else None
    new_end = None
    if years:
        from cemetery.rules import add_years

        new_end = add_years(right.end_date, years)
    return (
        render_template(
            "cemetery/portal_extend.html",
            right=right,
            plot=right.plot,
            grave_type=grave_type,
            form=form,
            years=years,
            fee=fee,
            new_end=new_end,
            per_year=fees.extension_per_year_cents(tenant, grave_type),
            max_years=MAX_EXTENSION_YEARS,
            money=money,
        ),
        status,
    )


@bp.get("/rights/<int:right_id>/extend")
@login_required
def extend(right_id: int):
    """The extension form; with ``?years=N`` the fee and the new end are
    shown and the application can be sent (nothing is written before)."""
    right = own_right(g.tenant, current_actor(), right_id)
    if "years" not in request.args:
        return _extension_page(right, ExtensionForm(formdata=None), None)
    form = ExtensionForm(request.args, meta={"csrf": False})
    try:
        years = checked_years(request.args.get("years"))
    except ValidationFailed as error:
        form.years.errors = [str(m) for m in error.fields["years"]]
        return _extension_page(right, form, None, 422)
    return _extension_page(right, ExtensionForm(formdata=None, years=years), years)


@bp.post("/rights/<int:right_id>/extend")
@login_required
def extend_submit(right_id: int):
    tenant = g.tenant
    user = current_actor()
    right = own_right(tenant, user, right_id)
    # One application at a time per right (PostgreSQL: the row lock; SQLite
    # holds the write lock already), then the end the holder saw.
    db.session.execute(select(GraveRight.id).where(GraveRight.id == right.id).with_for_update())
    db.session.refresh(right)
    form = ExtensionForm()
    if form.end.data and form.end.data != right.end_date.isoformat():
        transaction.fail()
        flash(
            _(
                "Das Nutzungsrecht wurde inzwischen schon verlängert (bis zum %(end)s). "
                "Bitte prüfen Sie, ob Sie noch weiter verlängern möchten.",
                end=right.end_date.strftime("%d.%m.%Y"),
            ),
            "error",
        )
        return redirect(url_for(".index"))
    if not right.plot.grave_type.extendable:
        transaction.fail()
        return _extension_page(right, form, None, 422)
    if not form.validate():
        transaction.fail()
        if not form.years.errors:
            form.years.errors = [_("Ganze Jahre von 1 bis %(max)d.", max=MAX_EXTENSION_YEARS)]
        return _extension_page(right, form, None, 422)
    if not form.end.data:
        # Without the end the holder saw, a second submit could not be told
        # from the first: the application is sent from the page with the fee.
        transaction.fail()
        form.years.errors = [_("Bitte prüfen Sie Gebühr und neues Ende und senden Sie erneut.")]
        return _extension_page(right, form, form.years.data, 422)
    try:
        right, invoice = apply_for_extension(tenant, user, right, form.years.data, utcnow())
    except ValidationFailed as error:
        show_errors(form, error)
        return _extension_page(right, form, None, 422)
    except (Conflict, Forbidden) as error:
        flash_error(error)
        return redirect(url_for(".index"))
    flash(
        _(
            "Das Nutzungsrecht ist verlängert bis zum %(end)s.",
            end=right.end_date.strftime("%d.%m.%Y"),
        ),
        "success",
    )
    if invoice is not None:
        return redirect(url_for("reservations.case_invoice_page", invoice_id=invoice.id))
    return redirect(url_for(".index"))


# --- clerks: linking accounts, letters to write -----------------------------------------


def _link_page(form: LinkForm, status: int = 200):
    query = (request.args.get("q") or "").strip()[:100]
    found: list[Contact] = []
    if len(query) >= 2:
        pattern = f"%{query.replace('%', '').replace('_', '')}%"
        found = list(
            db.session.scalars(
                scoped(Contact, g.tenant)
                .where(or_(Contact.name.ilike(pattern), Contact.email.ilike(pattern)))
                .order_by(Contact.name, Contact.id)
                .limit(50)
            )
        )
    accounts = {}
    ids = {c.user_id for c in found if c.user_id}
    if ids:
        accounts = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return (
        render_template(
            "cemetery/portal_link.html", form=form, query=query, found=found, accounts=accounts
        ),
        status,
    )


@bp.get("/link")
@requires(can_manage_cemetery)
def link():
    contact_id = request.args.get("contact_id", type=int)
    return _link_page(LinkForm(formdata=None, contact_id=contact_id))


@bp.post("/link")
@requires(can_manage_cemetery)
def link_submit():
    form = LinkForm()
    if not form.validate():
        transaction.fail()
        return _link_page(form, 422)
    contact = db.session.scalar(scoped(Contact, g.tenant).where(Contact.id == form.contact_id.data))
    if contact is None:
        transaction.fail()
        form.contact_id.errors = [_("Diesen Kontakt gibt es nicht.")]
        return _link_page(form, 422)
    email = None if form.unlink.data else (form.email.data or "")
    try:
        link_contact(g.tenant, current_actor(), contact, email, utcnow())
    except ValidationFailed as error:
        show_errors(form, error)
        return _link_page(form, 422)
    if email is None:
        flash(_("Die Verknüpfung von „%(name)s“ ist aufgehoben.", name=contact.name), "success")
    else:
        flash(
            _(
                "„%(name)s“ ist mit dem Konto %(email)s verknüpft; die Grabstätten erscheinen "
                "dort unter „Meine Gräber“.",
                name=contact.name,
                email=email.strip(),
            ),
            "success",
        )
    return redirect(url_for(".link"))


@bp.get("/letters")
@requires(can_manage_cemetery)
def letters():
    from cemetery.jobs import notice_months

    today = local_today(g.tenant)
    months = notice_months()
    return render_template(
        "cemetery/portal_letters.html",
        rights=letters_to_write(g.tenant, today, months),
        months=months,
        today=today,
    )


@bp.post("/letters/<int:right_id>/done")
@requires(can_manage_cemetery)
def letter_done(right_id: int):
    right = get_scoped(GraveRight, g.tenant, right_id)
    if not FlaskForm().validate():
        abort(400)
    try:
        letter_written(g.tenant, current_actor(), right, utcnow())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("Der Brief an „%(name)s“ ist vermerkt.", name=right.holder.name), "success")
    return redirect(url_for(".letters"))
