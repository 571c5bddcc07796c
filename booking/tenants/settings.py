"""A municipality's own settings, changed by its admins: name, contact,
mail sender name, reminder days, retention period (audited)."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from booking.accounts.access import is_admin
from booking.audit import service as audit
from booking.core import Forbidden, ValidationFailed, has_forbidden_characters, too_long
from booking.extensions import db
from booking.tenants.models import Tenant

SETTINGS = ("name", "contact_email", "mail_sender_name", "reminder_days", "retention_months")


REMINDER_DAYS = range(0, 31)  # 0: no reminders
RETENTION_MONTHS = range(1, 121)
SENDER_NAME_MAX = 100


def update_settings(
    tenant: Tenant,
    actor: Any,
    *,
    name: str,
    contact_email: str | None,
    mail_sender_name: str | None,
    reminder_days: int,
    retention_months: int,
) -> None:
    """Change what a municipality's admins may change themselves (audited)."""
    if not is_admin(actor, tenant):
        raise Forbidden(_l("Nur die Administration darf die Einstellungen ändern."))
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_l("Der Name darf nicht leer sein.")]
    elif len(name) > 200:
        errors["name"] = [too_long(200)]
    sender = (mail_sender_name or "").strip() or None
    if sender is not None and len(sender) > SENDER_NAME_MAX:
        errors["mail_sender_name"] = [too_long(SENDER_NAME_MAX)]
    elif sender is not None and (
        has_forbidden_characters(sender) or any(c in sender for c in "\r\n\t")
    ):
        errors["mail_sender_name"] = [_l("Bitte ohne Zeilenumbrüche und Steuerzeichen.")]
    email = (contact_email or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["contact_email"] = [_l("Bitte eine gültige E-Mail-Adresse angeben.")]
    if reminder_days not in REMINDER_DAYS:
        errors["reminder_days"] = [_l("0 bis 30 Tage (0: keine Erinnerungen).")]
    if retention_months not in RETENTION_MONTHS:
        errors["retention_months"] = [_l("1 bis 120 Monate.")]
    if errors:
        raise ValidationFailed(_l("Die Angaben zur Kommune sind ungültig."), errors)
    before = {key: getattr(tenant, key) for key in SETTINGS}
    tenant.name, tenant.contact_email, tenant.mail_sender_name = name, email, sender
    tenant.reminder_days, tenant.retention_months = reminder_days, retention_months
    after = {key: getattr(tenant, key) for key in SETTINGS}
    if after != before:
        audit.record(tenant, actor, "tenant.settings", tenant, before=before, after=after)
    db.session.flush()
