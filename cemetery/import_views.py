"""Taking over the old register: the clerks' upload page (dry run, then import).

Two steps, nothing kept between them: the clerk uploads the file and sees
the dry run's report; to import, the clerk uploads the file again with
"Jetzt übernehmen" ticked, and the server reads and checks it once more
before anything is written (no state on the server, nothing from the
browser trusted). Staff only; files up to ``importer.MAX_BYTES``."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired

from booking import transaction
from booking.accounts.access import current_actor, requires
from booking.extensions import db
from booking.tenants.service import get_scoped, scoped
from cemetery import importer
from cemetery.access import can_manage_cemetery
from cemetery.models import Cemetery

bp = Blueprint("cemetery_import", __name__, url_prefix="/<tenant>/cemeteries/import")

# The body may hold the file and the form around it (multipart overhead).
BODY_MAX = importer.MAX_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _allow_large_upload(_endpoint, _values) -> None:
    """A register may be larger than the site's usual request limit: this
    blueprint's requests may carry up to ``BODY_MAX`` bytes. (Runs before
    any before_request reads the body, the CSRF check included.)"""
    request.max_content_length = BODY_MAX


class ImportForm(FlaskForm):
    cemetery_id = SelectField(
        _l("Friedhof"),
        coerce=str,
        validate_choice=False,  # an unknown id is a 404 (get_scoped), not a form error
        validators=[InputRequired(_l("Bitte einen Friedhof wählen."))],
    )
    file = FileField(
        _l("Datei (.xlsx oder .csv)"),
        validators=[FileRequired(_l("Bitte eine Datei wählen."))],
        render_kw={"accept": ".xlsx,.csv,.txt,text/csv"},
        description=_l(
            "Höchstens 10 MB. Eine Zeile je Grabstätte oder Bestattung, Spalten mit "
            "Überschriften wie Feld, Reihe, Nummer, Grabart, Nutzungsberechtigter, "
            "Nutzungsrecht bis, Verstorbene/r, geboren, gestorben, Bestattungsdatum, Sarg/Urne."
        ),
    )
    import_now = BooleanField(
        _l("Jetzt übernehmen"),
        description=_l(
            "Ohne Häkchen wird die Datei nur geprüft (Probelauf). Mit Häkchen wird sie erneut "
            "geprüft und, wenn sie fehlerfrei ist, übernommen."
        ),
    )


def _form(cemeteries: list[Cemetery], **kwargs) -> ImportForm:
    form = ImportForm(**kwargs)
    form.cemetery_id.choices = [(str(c.id), c.name) for c in cemeteries]
    return form


def _page(form: ImportForm, cemeteries, report=None, cemetery=None, status: int = 200):
    return (
        render_template(
            "cemetery/import.html",
            form=form,
            cemeteries=cemeteries,
            report=report,
            cemetery=cemetery,
            headers=importer.LABELS.values(),
        ),
        status,
    )


def _cemeteries() -> list[Cemetery]:
    return list(db.session.scalars(scoped(Cemetery, g.tenant).order_by(Cemetery.name)))


@bp.get("/")
@requires(can_manage_cemetery)
def upload():
    cemeteries = _cemeteries()
    chosen = request.args.get("cemetery_id")
    form = _form(cemeteries)
    if chosen is not None:
        form.cemetery_id.data = str(get_scoped(Cemetery, g.tenant, chosen).id)
    return _page(form, cemeteries)


@bp.post("/")
@requires(can_manage_cemetery)
def check_or_import():
    cemeteries = _cemeteries()
    form = _form(cemeteries)
    if not cemeteries:
        form.form_errors.append(_("Es gibt noch keinen Friedhof."))
        return _page(form, cemeteries, status=422)
    if not form.validate_on_submit():
        return _page(form, cemeteries, status=422)
    cemetery = get_scoped(Cemetery, g.tenant, form.cemetery_id.data)  # 404 for another's
    upload = form.file.data
    data = upload.read(importer.MAX_BYTES + 1)
    if len(data) > importer.MAX_BYTES:
        form.file.errors = [_("Die Datei ist größer als 10 MB.")]
        return _page(form, cemeteries, cemetery=cemetery, status=413)
    report = importer.import_register(
        g.tenant,
        current_actor(),
        cemetery,
        data,
        filename=(upload.filename or "")[:200] or None,
        dry_run=not form.import_now.data,
        max_bytes=importer.MAX_BYTES,
    )
    if not report.ok:
        transaction.fail()
        return _page(
            _form(cemeteries, formdata=None, cemetery_id=str(cemetery.id)),
            cemeteries,
            report,
            cemetery,
            422,
        )
    if not report.written:
        return _page(
            _form(cemeteries, formdata=None, cemetery_id=str(cemetery.id), import_now=True),
            cemeteries,
            report,
            cemetery,
        )
    flash(
        _("Das Register ist übernommen: %(totals)s", totals=report.totals()),
        "success",
    )
    return redirect(url_for("cemetery.detail", cemetery_id=cemetery.id))
