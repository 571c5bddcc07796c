"""The "Gebühren" page of a hall under ``resources_admin``
(``/<tenant>/admin/resources/<id>/fees``): its fee rules per customer
category and its cancellation bands, for admins. "Beispiel-Gebührenordnung
übernehmen" fills the form from ``config/fee_schedule.example.json`` for the
resource's kind and saves nothing. And, on ``reservations``
(``POST /<tenant>/bookings/<id>/category``), a clerk's correction of a
booking's customer category. Thin: the rules are ``fees.service``'."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from booking import transaction
from booking.accounts.access import current_actor, requires
from booking.core import ValidationFailed, utcnow
from booking.fees import invoices, service
from booking.fees.forms import CategoryForm, build, field_namer
from booking.fees.rules import CATEGORIES, CATEGORY_LABELS, category_label
from booking.fees.schedule import load_schedule
from booking.forms import flash_error, show_errors
from booking.reservations.views import bp as reservations_bp
from booking.reservations.views import get_booking
from booking.resources import service as resources
from booking.resources.access import can_manage_resources
from booking.resources.views import admin_bp
from booking.web import money


@admin_bp.route("/<int:resource_id>/fees", methods=["GET", "POST"])
@requires(can_manage_resources)
def fees(resource_id: int):
    resource = resources.get_resource(g.tenant, resource_id)
    rules, source = service.effective_rules(resource)
    inherited = source if source is not None and source.id != resource.id else None
    example = load_schedule().for_kind(resource.kind)
    form = build()()
    filled = False
    if request.method == "GET":
        form.load(rules, service.cancellation_policy_of(resource))
    elif "inherit" in request.form:
        if resource.parent_id is None:
            abort(400)
        service.inherit_fees(g.tenant, current_actor(), resource)
        flash(
            _(
                "Für „%(name)s“ gelten jetzt die Gebühren der Halle, zu der es gehört.",
                name=resource.name,
            ),
            "success",
        )
        return redirect(url_for(".fees", resource_id=resource.id))
    elif "example" in request.form:
        if example is not None:
            form.load(example.rules, example.cancellation)
            filled = True
    elif form.validate_on_submit():
        items, rows = form.items()
        bands, band_rows = form.cancellation()
        try:
            service.set_fee_rules(g.tenant, current_actor(), resource, items)
            service.set_cancellation_policy(g.tenant, current_actor(), resource, bands)
        except ValidationFailed as error:
            show_errors(form, error, field_namer(rows, band_rows))
        else:
            flash(_("Die Gebühren von „%(name)s“ sind gespeichert.", name=resource.name), "success")
            return redirect(url_for(".fees", resource_id=resource.id))
    status = 422 if form.errors else 200
    return render_template(
        "booking/fees/rules.html",
        form=form,
        resource=resource,
        categories=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        inherited=inherited,
        own_part=resource.parent_id is not None and resource.fee_rules is not None,
        example=example,
        filled=filled,
    ), status


# --- a booking's customer category (clerks correct it on the booking's page) ----------------

reservations_bp.add_app_template_global(category_label, "category_label")


@reservations_bp.post("/bookings/<int:booking_id>/category")
@login_required
def change_category(booking_id: int):
    """A clerk corrects the booking's customer category; the fee follows."""
    booking = get_booking(booking_id)  # 404 when this person may not see it
    form = CategoryForm()
    if not form.validate_on_submit():
        transaction.fail()
        flash(_("Bitte eine Kundengruppe wählen."), "error")
    else:
        try:
            fee = invoices.change_category(
                g.tenant, current_actor(), booking, form.category.data, utcnow()
            )
        except ValidationFailed as error:
            flash_error(error)
        else:
            flash(
                _(
                    "Die Kundengruppe ist jetzt „%(category)s“; die Gebühr beträgt %(fee)s.",
                    category=category_label(form.category.data),
                    fee=money(fee.amount_cents),
                ),
                "success",
            )
    return redirect(url_for("reservations.detail", booking_id=booking.id))
