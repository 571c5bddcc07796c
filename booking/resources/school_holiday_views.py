"""School holidays (Schulferien) under ``resources_admin``
(``/<tenant>/admin/resources/school-holidays``): the list by year, a form to
add one period, delete buttons and an ICS import. Thin: the rules are
``resources.school_holidays``'."""

from __future__ import annotations

from itertools import groupby

from flask import flash, g, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from booking.accounts.access import current_actor, requires
from booking.core import NAME_MAX, ValidationFailed
from booking.forms import flash_error, show_errors
from booking.resources import school_holidays as service
from booking.resources.access import can_manage_closures
from booking.resources.views import admin_bp

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_MESSAGE = _l("Bitte ein Datum angeben, z. B. 06.03.2027.")


class SchoolHolidayForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=NAME_MAX)],
        description=_l("z. B. Herbstferien"),
    )
    first_day = DateField(
        _l("Erster Ferientag"),
        validators=[InputRequired(DATE_MESSAGE)],
        format=DATE_FORMATS,
        invalid_value_message=DATE_MESSAGE,
    )
    last_day = DateField(
        _l("Letzter Ferientag"),
        validators=[InputRequired(DATE_MESSAGE)],
        format=DATE_FORMATS,
        invalid_value_message=DATE_MESSAGE,
        description=_l("Dieser Tag gehört noch zu den Ferien."),
    )


class SchoolHolidayImportForm(FlaskForm):
    file = FileField(
        _l("iCalendar-Datei (.ics)"),
        validators=[FileRequired(_l("Bitte eine .ics-Datei wählen."))],
        description=_l(
            "Höchstens 1 MiB. Jeder Termin wird ein Ferienzeitraum; schon eingetragene "
            "(gleicher Name und erster Tag) werden übersprungen."
        ),
    )


def _page(form: SchoolHolidayForm, upload: SchoolHolidayImportForm, status: int = 200):
    holidays = service.list_school_holidays(g.tenant)
    years = [
        (year, list(periods)) for year, periods in groupby(holidays, key=lambda h: h.first_day.year)
    ]
    return render_template(
        "admin/resources/school_holidays.html",
        form=form,
        upload=upload,
        years=years,
        delete_form=FlaskForm(),
    ), status


@admin_bp.get("/school-holidays")
@requires(can_manage_closures)
def school_holidays():
    return _page(SchoolHolidayForm(), SchoolHolidayImportForm())


@admin_bp.post("/school-holidays")
@requires(can_manage_closures)
def add_school_holiday():
    form = SchoolHolidayForm()
    if form.validate_on_submit():
        try:
            holiday = service.add_school_holiday(
                g.tenant, current_actor(), form.name.data, form.first_day.data, form.last_day.data
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("„%(name)s“ ist eingetragen.", name=holiday.name), "success")
            return redirect(url_for(".school_holidays"))
    return _page(form, SchoolHolidayImportForm(formdata=None), 422)


@admin_bp.post("/school-holidays/import")
@requires(can_manage_closures)
def import_school_holidays():
    upload = SchoolHolidayImportForm()
    if upload.validate_on_submit():
        data = upload.file.data.read(service.MAX_ICS_BYTES + 1)
        try:
            report = service.import_ics(g.tenant, current_actor(), data)
        except ValidationFailed as error:
            show_errors(upload, error)
        else:
            flash(
                ngettext(
                    "%(num)d Ferienzeitraum übernommen.",
                    "%(num)d Ferienzeiträume übernommen.",
                    len(report.added),
                ),
                "success",
            )
            if report.duplicates:
                flash(
                    _(
                        "Schon eingetragen und übersprungen: %(list)s",
                        list=", ".join(
                            _("%(name)s ab %(day)s", name=name, day=format_date(first))
                            for name, first in report.duplicates
                        ),
                    ),
                    "warning",
                )
            return redirect(url_for(".school_holidays"))
    return _page(SchoolHolidayForm(formdata=None), upload, 422)


@admin_bp.post("/school-holidays/<int:holiday_id>/delete")
@requires(can_manage_closures)
def delete_school_holiday(holiday_id: int):
    holiday = service.get_school_holiday(g.tenant, holiday_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("Die Anfrage war ungültig. Bitte noch einmal versuchen."), "error")
        return redirect(url_for(".school_holidays"))
    try:
        service.delete_school_holiday(g.tenant, current_actor(), holiday)
    except ValidationFailed as error:
        flash_error(error)
    else:
        flash(_("„%(name)s“ ist gelöscht.", name=holiday.name), "success")
    return redirect(url_for(".school_holidays"))
