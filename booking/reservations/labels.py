"""Display labels for booking and occurrence statuses: one mapping for pages and messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "requested": _l("angefragt"),
    "confirmed": _l("bestätigt"),
    "held": _l("vorgemerkt (Zahlung offen)"),
    "rejected": _l("abgelehnt"),
    "cancelled": _l("storniert"),
    "expired": _l("abgelaufen"),
    "busy": _l("belegt"),
    "closed": _l("gesperrt"),
    "holiday": _l("Feiertag"),
    "free": _l("frei"),
}


def status_label(status: str) -> str:
    """The translated label of ``status``; an unknown code is shown as it is."""
    return str(STATUS_LABELS.get(status, status))
