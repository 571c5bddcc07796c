"""Tenant administration: staff roles, the mail outbox and the audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from booking.accounts import service as accounts
from booking.accounts.access import current_actor, is_admin, is_staff, requires
from booking.accounts.forms import ROLE_LABELS
from booking.accounts.models import Membership
from booking.admin.forms import GrantRoleForm, TenantSettingsForm
from booking.audit import service as audit_log
from booking.core import ValidationFailed, utcnow
from booking.forms import flash_error, show_errors
from booking.jobs import COUNT_LABELS, registry, runner, scheduler
from booking.notifications import delivery
from booking.notifications import service as notifications
from booking.reservations.notifications import first_mails_owed
from booking.tenants import settings as tenant_settings
from booking.tenants.service import get_scoped

bp = Blueprint("admin", __name__, url_prefix="/<tenant>/admin")

AUDIT_LIMIT = 200


@bp.get("/")
@requires(is_staff)
def index():
    return render_template("admin/index.html")


# --- roles ---------------------------------------------------------------------


def _render_roles(form: GrantRoleForm):
    return render_template(
        "admin/roles.html",
        form=form,
        memberships=accounts.staff(g.tenant),
        role_labels=ROLE_LABELS,
    )


@bp.get("/roles")
@requires(is_admin)
def roles():
    return _render_roles(GrantRoleForm(formdata=None))


@bp.post("/roles")
@requires(is_admin)
def grant_role():
    form = GrantRoleForm()
    if form.validate_on_submit():
        try:
            membership = accounts.grant_role_by_email(
                g.tenant, current_actor(), form.email.data, form.role.data
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(
                _(
                    "%(person)s hat jetzt die Rolle „%(role)s“.",
                    person=membership.user.display_name,
                    role=ROLE_LABELS[membership.role],
                ),
                "success",
            )
            return redirect(url_for(".roles"))
    return _render_roles(form)


@bp.post("/roles/<int:membership_id>/revoke")
@requires(is_admin)
def revoke_role(membership_id: int):
    membership = get_scoped(Membership, g.tenant, membership_id)
    person, role = membership.user, membership.role
    try:
        accounts.revoke_role(g.tenant, current_actor(), person, role)
    except ValidationFailed as error:
        flash_error(error)
    else:
        flash(
            _(
                "%(person)s hat die Rolle „%(role)s“ nicht mehr.",
                person=person.display_name,
                role=ROLE_LABELS[role],
            ),
            "success",
        )
    return redirect(url_for(".roles"))


# --- outbox and audit log -----------------------------------------------------------


@bp.get("/outbox")
@requires(is_admin)
def outbox():
    return render_template(
        "admin/outbox.html",
        messages=notifications.outbox(g.tenant),
        first_mails_owed=first_mails_owed(g.tenant),
        mail_configured=bool(current_app.config.get("MAIL_SERVER")),
    )


@bp.post("/outbox/<int:message_id>/send-again")
@requires(is_admin)
def send_again(message_id: int):
    """A failed mail of this municipality goes back into the queue."""
    message = notifications.outbox_message(g.tenant, message_id)
    if message.status != "failed":
        flash(_("Diese Nachricht wartet schon oder ist verschickt."), "info")
    else:
        delivery.send_again(message)
        flash(_("Die Nachricht wird erneut verschickt."), "success")
    return redirect(url_for(".outbox"))


@bp.get("/jobs")
@requires(is_admin)
def jobs():
    """The scheduled jobs of the installation: what each does, when it last
    ran, how that ended. Errors show their kind only: their text may name
    other municipalities' data (the operator finds it in the log)."""
    timezone = current_app.config["SCHEDULER_TIMEZONE"]
    now = utcnow()
    last = runner.last_runs(list(registry.JOBS))
    rows = [
        {"job": job, "last": last.get(job.id), "next": scheduler.next_run(job, timezone, now)}
        for job in registry.JOBS.values()
    ]
    return render_template(
        "admin/jobs.html", rows=rows, runs=runner.recent_runs(), count_labels=COUNT_LABELS
    )


@bp.route("/settings", methods=["GET", "POST"])
@requires(is_admin)
def settings():
    form = TenantSettingsForm(obj=g.tenant)
    if form.validate_on_submit():
        try:
            tenant_settings.update_settings(
                g.tenant,
                current_actor(),
                name=form.name.data,
                contact_email=form.contact_email.data,
                mail_sender_name=form.mail_sender_name.data,
                reminder_days=form.reminder_days.data,
                retention_months=form.retention_months.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Die Einstellungen sind gespeichert."), "success")
            return redirect(url_for(".settings"))
    return render_template("admin/settings.html", form=form)


@bp.get("/audit")
@requires(is_staff)
def audit():
    entries = audit_log.recent(g.tenant, AUDIT_LIMIT)
    return render_template(
        "admin/audit.html",
        entries=entries,
        people=audit_log.people_in(entries),
        limit=AUDIT_LIMIT,
    )
