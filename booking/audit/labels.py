"""Display labels for audit entries: one mapping for the audit page and the
history on a booking page. An action without a label is shown as its code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "tenant.settings": _l("Einstellungen der Kommune geändert"),
    "role.grant": _l("Rolle vergeben"),
    "role.revoke": _l("Rolle entzogen"),
    "organisation.create": _l("Organisation angelegt"),
    "resource.create": _l("Halle/Raum angelegt"),
    "resource.update": _l("Halle/Raum geändert"),
    "resource.opening_hours": _l("Öffnungszeiten geändert"),
    "resource.caretaker_add": _l("Hausmeister zugeordnet"),
    "resource.caretaker_remove": _l("Hausmeister-Zuordnung aufgehoben"),
    "resource.fee_rules": _l("Gebühren geändert"),
    "resource.cancellation_policy": _l("Stornobedingungen geändert"),
    "closure.create": _l("Sperrzeit eingetragen"),
    "closure.delete": _l("Sperrzeit gelöscht"),
    "booking.override": _l("Ausnahme genehmigt"),
    "booking.approve": _l("Buchung freigegeben"),
    "booking.reject": _l("Buchung abgelehnt"),
    "booking.cancel": _l("Buchung storniert"),
    "booking.cancel_from": _l("Restliche Termine storniert"),
    "occurrence.cancel": _l("Termin abgesagt"),
    "occurrence.move": _l("Termin verlegt"),
    "booking.category": _l("Kundengruppe geändert"),
    "booking.paid": _l("Online bezahlt"),
    "booking.expire": _l("Reservierung aufgehoben (nicht bezahlt)"),
    "payment.refund": _l("Über Stripe erstattet"),
    "invoice.refund": _l("Erstattung erfasst"),
    "tenant.stripe_keys": _l("Schlüssel für Online-Zahlung geändert"),
    "invoice.mark_paid": _l("Zahlung erfasst"),
    "invoice.paid_online": _l("Bescheid online bezahlt"),
    "cemetery.create": _l("Friedhof angelegt"),
    "cemetery.update": _l("Friedhof geändert"),
    "cemetery.import": _l("Register übernommen"),
    "cemetery.fee_schedule": _l("Friedhofsgebühren geändert"),
    "cemetery.contact_link": _l("Kontakt mit Konto verknüpft"),
    "cemetery.contact_unlink": _l("Verknüpfung mit Konto aufgehoben"),
    "cemetery.right_expiry": _l("Erinnerung vor Ablauf des Nutzungsrechts"),
    "section.create": _l("Feld angelegt"),
    "plot.create": _l("Grabstätte angelegt"),
    "plot.create_row": _l("Reihe von Grabstätten angelegt"),
    "plot.update": _l("Grabstätte geändert"),
    "plot.block": _l("Grabstätte gesperrt"),
    "plot.unblock": _l("Sperre der Grabstätte aufgehoben"),
    "grave_type.create": _l("Grabart angelegt"),
    "grave_type.update": _l("Grabart geändert"),
    "grave_right.acquire": _l("Nutzungsrecht erworben"),
    "grave_right.extend": _l("Nutzungsrecht verlängert"),
    "grave_right.transfer": _l("Nutzungsrecht übertragen"),
    "grave_right.surrender": _l("Auf Nutzungsrecht verzichtet"),
    "grave_right.close": _l("Nutzungsrecht beendet (Grabstätte abgeräumt)"),
    "grave_right.expiry_letter": _l("Brief vor Ablauf verschickt"),
    "burial.create": _l("Bestattung angefragt oder eingetragen"),
    "burial.confirm": _l("Bestattung bestätigt"),
    "burial.propose": _l("Anderer Termin vorgeschlagen"),
    "burial.accept": _l("Vorgeschlagener Termin angenommen"),
    "burial.cancel": _l("Bestattung abgesagt"),
}

OBJECT_LABELS = {
    "Tenant": _l("Kommune"),
    "User": _l("Person"),
    "Organisation": _l("Organisation"),
    "Resource": _l("Halle/Raum"),
    "Closure": _l("Sperrzeit"),
    "Booking": _l("Buchung"),
    "Occurrence": _l("Termin"),
    "Payment": _l("Zahlung"),
    "Invoice": _l("Gebührenbescheid"),
    "Cemetery": _l("Friedhof"),
    "Section": _l("Feld"),
    "Plot": _l("Grabstätte"),
    "GraveType": _l("Grabart"),
    "GraveRight": _l("Nutzungsrecht"),
    "Contact": _l("Kontakt"),
    "Burial": _l("Bestattung"),
    "CemeteryFeeSchedule": _l("Friedhofsgebühren"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))
