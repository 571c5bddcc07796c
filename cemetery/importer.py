"""Taking over an existing register: plots, grave rights with their holders
and past burials from a spreadsheet (XLSX) or the CSV a spreadsheet program
or an old cemetery program writes (``;`` or ``,``, UTF-8 with or without
BOM, or Windows-1252).

Columns are found by their header (German headers as such lists have them:
Feld, Reihe, Nummer, Grabart, Nutzungsberechtigter, Nutzungsrecht bis,
Verstorbene/r, geboren, gestorben, Bestattungsdatum, Sarg/Urne …; case,
spaces and punctuation do not matter). One row is a plot (its code
"Feld-Reihe-Nummer", e.g. "B-04-12", as written), optionally with its right
and one past burial; several rows of the same plot are several burials
under the same right.

``import_register`` checks the whole file first and reports, per row, what
would be created and every problem. Nothing is written unless the whole file
is clean; then everything is written in bulk (a few statements, not one per
row) in the caller's transaction, with one audit entry. Services only
flush: the CLI command or the request commits."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import ValidationFailed, has_forbidden_characters, utcnow
from booking.extensions import db
from booking.tenants.models import Tenant
from booking.tenants.service import in_tenant, scoped
from cemetery import rules
from cemetery.models import (
    ACTIVE_BURIAL_STATUSES,
    Burial,
    Cemetery,
    Contact,
    GraveRight,
    GraveRightEvent,
    GraveType,
    Plot,
    Section,
    contact_key,
)
from cemetery.register import (
    CHECK,
    PLOT_CODE_MAX,
    ROW_MAX,
    SECTION_MAX,
    default_sort_key,
    local_today,
    name_key,
    require_manage,
)

MAX_BYTES = 10 * 1024 * 1024  # an upload or file larger than this is refused
MAX_ROWS = 200_000
CHUNK = 5_000  # ids / codes per IN (…) query (SQLite limits bound parameters)
TERM_MAX = 100
# Where a plot with numeric row and number is drawn on its section's map
# (as cemetery.register.create_plot_row places a row of plots).
MAP_STEP_X, MAP_STEP_Y, MAP_WIDTH, MAP_HEIGHT = 12, 24, 10, 20

# field → the headers it is found under (normalised: see ``header_key``).
HEADERS: dict[str, tuple[str, ...]] = {
    "section": ("feld", "abteilung", "grabfeld", "section"),
    "row": ("reihe", "row"),
    "number": ("nummer", "nr", "grabnummer", "grabnr", "number"),
    "grave_type": ("grabart", "grabtyp", "artdergrabstaette", "gravetype"),
    "holder": (
        "nutzungsberechtigter",
        "nutzungsberechtigte",
        "nutzungsberechtigter",
        "nutzungsberechtigterin",
        "inhaber",
        "holder",
    ),
    "address": ("anschrift", "adresse", "address"),
    "street": ("strasse", "str", "strasseundhausnummer", "street"),
    "postcode": ("plz", "postleitzahl", "postcode"),
    "city": ("ort", "wohnort", "stadt", "city"),
    "right_start": (
        "nutzungsrechtab",
        "nutzungsrechtvon",
        "nutzungsrechtseit",
        "erworbenam",
        "rightstart",
    ),
    "right_end": ("nutzungsrechtbis", "ablaufnutzungsrecht", "rightend"),
    "certificate": (
        "urkunde",
        "urkundennummer",
        "urkundenr",
        "graburkunde",
        "certificate",
    ),
    "deceased": (
        "verstorbener",
        "verstorbene",
        "verstorbenerin",
        "verstorbenein",
        "deceased",
    ),
    "born": ("geboren", "geburtsdatum", "geb", "born"),
    "died": ("gestorben", "sterbedatum", "todestag", "gest", "died"),
    "burial_date": (
        "bestattungsdatum",
        "bestattetam",
        "beisetzungsdatum",
        "beisetzung",
        "burialdate",
    ),
    "kind": ("sargurne", "bestattungsart", "kind"),
    "consent": (
        "veroeffentlichungeinwilligung",
        "einwilligungveroeffentlichung",
        "veroeffentlichung",
        "einwilligung",
        "consent",
    ),
    "notes": ("bemerkung", "bemerkungen", "notiz", "hinweis", "notes"),
}
HEADER_FIELDS = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
REQUIRED = ("section", "number", "grave_type")
# The header each field is shown with in messages.
LABELS = {
    "section": "Feld",
    "row": "Reihe",
    "number": "Nummer",
    "grave_type": "Grabart",
    "holder": "Nutzungsberechtigter",
    "address": "Anschrift",
    "street": "Straße",
    "postcode": "PLZ",
    "city": "Ort",
    "right_start": "Nutzungsrecht ab",
    "right_end": "Nutzungsrecht bis",
    "certificate": "Urkunde",
    "deceased": "Verstorbene/r",
    "born": "geboren",
    "died": "gestorben",
    "burial_date": "Bestattungsdatum",
    "kind": "Sarg/Urne",
    "consent": "Veröffentlichung/Einwilligung",
    "notes": "Bemerkung",
}
DATE_FIELDS = ("right_start", "right_end", "born", "died", "burial_date")
LIMITS = {
    "section": SECTION_MAX,
    "row": ROW_MAX,
    "number": ROW_MAX,
    "holder": 200,
    "address": 400,
    "street": 200,
    "postcode": 10,
    "city": 100,
    "certificate": 40,
    "deceased": 200,
    "notes": 10_000,
}
KINDS = {"sarg": "coffin", "s": "coffin", "coffin": "coffin", "erdbestattung": "coffin"}
KINDS |= {"urne": "urn", "u": "urn", "urn": "urn", "urnenbestattung": "urn"}
YES = {"ja", "j", "yes", "y", "x", "1", "true", "wahr"}
NO = {"", "nein", "n", "no", "0", "false", "falsch", "-"}
GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
POSTCODE_CITY = re.compile(r"(\d{5})\s+(.+)")


def header_key(text: Any) -> str:
    """A header as it is looked up: case folded (ß → ss), umlauts written
    out, everything but letters and digits dropped ("Verstorbene/r" →
    "verstorbener", "Nutzungsrecht bis" → "nutzungsrechtbis")."""
    folded = str(text or "").casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]", "", folded)


# --- the report ---------------------------------------------------------------------


@dataclass
class RowResult:
    """One row of the file: what it would create and what is wrong with it."""

    number: int  # the row as a spreadsheet shows it (the header is row 1)
    code: str | None = None
    plot: str | None = None  # "new" | "existing" | "again" (an earlier row's)
    grave_type: str | None = None
    right: str | None = None  # "new" | "existing" | "again"
    # (holder or None, start, end, computed) and (name, kind, day, rest until,
    # listed): formatted only when shown (a large file has many rows).
    right_info: tuple[str | None, date, date, bool] | None = None
    burial: str | None = None  # "new" | "existing"
    burial_info: tuple[str, str, date, date, bool] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def right_text(self) -> str | None:
        return _right_text(self.right_info, _texts()) if self.right_info else None

    @property
    def burial_text(self) -> str | None:
        return _burial_text(self.burial_info, _texts()) if self.burial_info else None

    def summary(self) -> list[str]:
        """What the row creates, as German sentences."""
        texts = _texts()
        lines = []
        if self.code:
            plot = texts.get(f"plot_{self.plot}", texts["plot_"])
            lines.append(plot % {"code": self.code, "type": self.grave_type or "?"})
        if self.right and self.right_info:
            right = texts[f"right_{self.right}"]
            lines.append(right % {"right": _right_text(self.right_info, texts)})
        if self.burial and self.burial_info:
            burial = texts[f"burial_{self.burial}"]
            lines.append(burial % {"burial": _burial_text(self.burial_info, texts)})
        return lines


_TEXTS: dict[str, dict[str, str]] = {}


def _texts() -> dict[str, str]:
    """The report's sentences in the current language, translated once."""
    locale = str(get_locale())
    if locale not in _TEXTS:
        _TEXTS[locale] = {
            "plot_new": _("Grabstätte %(code)s neu (%(type)s)"),
            "plot_existing": _("Grabstätte %(code)s vorhanden (%(type)s)"),
            "plot_again": _("Grabstätte %(code)s wie oben (%(type)s)"),
            "plot_": _("Grabstätte %(code)s (%(type)s)"),
            "right_new": _("Nutzungsrecht neu: %(right)s"),
            "right_existing": _("Nutzungsrecht vorhanden: %(right)s"),
            "right_again": _("Nutzungsrecht wie oben: %(right)s"),
            "burial_new": _("Bestattung neu: %(burial)s"),
            "burial_existing": _("Bestattung schon eingetragen: %(burial)s"),
            "right": _("%(holder)s, %(start)s bis %(end)s"),
            "right_period": _("%(start)s bis %(end)s"),
            "computed": _(" (berechnet)"),
            "burial": _("%(name)s (%(kind)s, bestattet %(day)s, Ruhezeit bis %(until)s%(listed)s)"),
            "coffin": _("Sarg"),
            "urn": _("Urne"),
            "listed": _(", Grabsuche: ja"),
        }
    return _TEXTS[locale]


def _right_text(info: tuple[str | None, date, date, bool], texts: dict[str, str]) -> str:
    holder, start, end, computed = info
    values = {"holder": holder, "start": _fmt(start), "end": _fmt(end)}
    text = texts["right" if holder else "right_period"] % values
    return text + texts["computed"] if computed else text


def _burial_text(info: tuple[str, str, date, date, bool], texts: dict[str, str]) -> str:
    name, kind, day, until, listed = info
    return texts["burial"] % {
        "name": name,
        "kind": texts[kind],
        "day": _fmt(day),
        "until": _fmt(until),
        "listed": texts["listed"] if listed else "",
    }


@dataclass
class ImportReport:
    filename: str | None
    digest: str
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    rows: list[RowResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not any(row.problems for row in self.rows)

    @property
    def problem_count(self) -> int:
        return len(self.problems) + sum(len(row.problems) for row in self.rows)

    @property
    def rows_with_problems(self) -> list[RowResult]:
        return [row for row in self.rows if row.problems]

    def lines(self) -> list[str]:
        """The report as text (the CLI prints it)."""
        out = [_("Datei: %(name)s", name=self.filename or "-")]
        out += [_("Fehler: %(problem)s", problem=p) for p in self.problems]
        for row in self.rows:
            for line in row.summary():
                out.append(_("Zeile %(row)d: %(text)s", row=row.number, text=line))
            for problem in row.problems:
                out.append(_("Zeile %(row)d: FEHLER: %(problem)s", row=row.number, problem=problem))
        out.append(self.totals())
        return out

    def totals(self) -> str:
        c = self.counts
        return _(
            "%(rows)d Zeilen; neu: %(sections)d Felder, %(plots)d Grabstätten, "
            "%(contacts)d Nutzungsberechtigte, %(rights)d Nutzungsrechte, "
            "%(burials)d Bestattungen; %(problems)d Fehler.",
            rows=len(self.rows),
            sections=c.get("sections", 0),
            plots=c.get("plots", 0),
            contacts=c.get("contacts", 0),
            rights=c.get("rights", 0),
            burials=c.get("burials", 0),
            problems=self.problem_count,
        )


# --- reading the file ---------------------------------------------------------------


class Unreadable(Exception):
    """The file is no table this import can read."""


def _cell(value: Any) -> Any:
    """A cell as text, or a date (Excel date cells); numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes) -> list[list[Any]]:
    """The rows of a CSV or XLSX file (the first being the headers)."""
    if not data or not data.strip():
        raise Unreadable(_("Die Datei ist leer."))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise Unreadable(
            _(
                "Das alte Excel-Format (.xls) wird nicht gelesen. Bitte die Tabelle als "
                ".xlsx oder als CSV speichern."
            )
        )
    if b"\x00" in data:
        raise Unreadable(_("Die Datei ist weder eine CSV-Datei noch eine Excel-Tabelle (.xlsx)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise Unreadable(
                _("Die Zeichenkodierung ist unbekannt (erwartet: UTF-8 oder Windows-1252).")
            ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ";"
    try:
        return [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as error:
        raise Unreadable(
            _("Die CSV-Datei lässt sich nicht lesen: %(error)s", error=error)
        ) from None


def _read_xlsx(data: bytes) -> list[list[Any]]:
    import openpyxl  # only needed here

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise Unreadable(
            _("Die Excel-Datei lässt sich nicht lesen (%(error)s).", error=type(error).__name__)
        ) from None
    except Exception:  # openpyxl raises many kinds for broken files
        raise Unreadable(_("Die Excel-Datei lässt sich nicht lesen.")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise Unreadable(_("Die Excel-Datei enthält keine Tabelle."))
        rows: list[list[Any]] = []
        filled = 0
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell(v) for v in values]
            rows.append(cells)
            filled += any(cell != "" for cell in cells)
            if filled > MAX_ROWS + 1:
                break
        return rows
    except Unreadable:
        raise
    except Exception:
        raise Unreadable(_("Die Excel-Datei lässt sich nicht lesen.")) from None
    finally:
        book.close()


def parse_date(value: Any, today: date) -> date:
    """A date as German lists write it: 06.03.2027, 6.3.2027, 06.03.27 (two-
    digit years up to next year's are this century, the rest the last), ISO
    2027-03-06, an Excel date cell or an Excel day number. ValueError else."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = GERMAN_DATE.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000 if year <= today.year % 100 + 1 else 1900
        return date(year, month, day)
    match = ISO_DATE.fullmatch(text)
    if match:
        return date(*(int(part) for part in match.groups()))
    if re.fullmatch(r"\d{4,5}", text):  # an Excel day number (1900 date system)
        serial = int(text)
        if 1 <= serial <= 2_958_465:
            return date(1899, 12, 30) + timedelta(days=serial)
    raise ValueError(text)


# --- checking -----------------------------------------------------------------------


@dataclass
class _Row:
    result: RowResult
    values: dict[str, Any]
    grave_type: GraveType | None = None
    holder: tuple[str, str | None, str | None, str | None] | None = None
    burial: dict[str, Any] | None = None


@dataclass
class _PlotPlan:
    code: str
    first: _Row
    section: str
    row: str | None
    number: str
    grave_type: GraveType
    notes: str | None = None
    existing: Plot | None = None
    holder: tuple[str, str | None, str | None, str | None] | None = None
    holder_row: int | None = None
    start: date | None = None
    end: date | None = None
    certificate: str | None = None
    right_computed: bool = False
    existing_right: GraveRight | None = None
    new_right: bool = False
    burials: list[dict[str, Any]] = field(default_factory=list)
    capacity: dict[str, int] | None = None


def _fmt(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "-"


def _split_address(text: str) -> tuple[str | None, str | None, str | None]:
    """ "Hauptstraße 1, 12345 Musterhausen" → street, postcode, city."""
    parts = [p.strip() for p in re.split(r"[,\n]", text) if p.strip()]
    if not parts:
        return None, None, None
    match = POSTCODE_CITY.fullmatch(parts[-1])
    if match:
        street = ", ".join(parts[:-1]) or None
        return street, match.group(1), match.group(2)
    return ", ".join(parts), None, None


class _Checker:
    def __init__(self, tenant: Tenant, cemetery: Cemetery, today: date) -> None:
        self.tenant = tenant
        self.cemetery = cemetery
        self.today = today
        types = list(db.session.scalars(scoped(GraveType, tenant)))
        self.types: dict[str, GraveType] = {}
        for grave_type in types:
            self.types.setdefault(header_key(grave_type.key), grave_type)
        for grave_type in types:
            self.types.setdefault(header_key(grave_type.name), grave_type)
        self.type_names = sorted(t.name for t in types if t.active)

    # Headers --------------------------------------------------------------------

    def columns(
        self, headers: list[Any], rows: list[list[Any]], problems: list[str]
    ) -> dict[str, int]:
        columns: dict[str, int] = {}
        for index, header in enumerate(headers):
            title = str(header).strip() if header is not None else ""
            if not title:
                if any(index < len(row) and row[index] not in ("", None) for row in rows):
                    problems.append(_("Spalte %(col)d hat keine Überschrift.", col=index + 1))
                continue
            name = HEADER_FIELDS.get(header_key(title))
            if name is None:
                problems.append(
                    _(
                        "Unbekannte Spalte „%(header)s“. Bekannt sind: %(known)s.",
                        header=title[:80],
                        known=", ".join(LABELS.values()),
                    )
                )
            elif name in columns:
                problems.append(
                    _(
                        "Die Spalte „%(header)s“ kommt doppelt vor (%(field)s).",
                        header=title[:80],
                        field=LABELS[name],
                    )
                )
            else:
                columns[name] = index
        missing = [LABELS[name] for name in REQUIRED if name not in columns]
        if missing:
            problems.append(_("Es fehlen die Spalten: %(columns)s.", columns=", ".join(missing)))
        return columns

    # One row --------------------------------------------------------------------

    def row(self, number: int, cells: list[Any], columns: dict[str, int]) -> _Row:
        result = RowResult(number=number)
        problems = result.problems
        values: dict[str, Any] = {}
        # One look for control characters in the whole row, per cell only when found.
        suspect = has_forbidden_characters("".join(c for c in cells if isinstance(c, str)))
        for name, index in columns.items():
            value = cells[index] if index < len(cells) else ""
            if value == "":
                values[name] = value
                continue
            if isinstance(value, str):
                value = " ".join(value.split()) if name != "notes" else value.strip()
                if suspect and has_forbidden_characters(value):
                    problems.append(_("%(field)s: unzulässige Steuerzeichen.", field=LABELS[name]))
                    value = ""
                limit = LIMITS.get(name)
                if limit and len(value) > limit:
                    problems.append(
                        _(
                            "%(field)s: höchstens %(limit)d Zeichen.",
                            field=LABELS[name],
                            limit=limit,
                        )
                    )
                    value = value[:limit]
            elif isinstance(value, date) and name not in DATE_FIELDS:
                value = value.strftime("%d.%m.%Y")
            values[name] = value
        row = _Row(result=result, values=values)

        # Dates.
        bad_dates = set()
        for name in DATE_FIELDS:
            value = values.get(name, "")
            if value in ("", None):
                values[name] = None
                continue
            try:
                values[name] = parse_date(value, self.today)
            except ValueError:
                values[name] = None
                bad_dates.add(name)
                problems.append(
                    _(
                        "%(field)s: „%(value)s“ ist kein Datum (z. B. 06.03.2027).",
                        field=LABELS[name],
                        value=str(value)[:40],
                    )
                )

        # The plot.
        section, row_text, plot_number = (
            values.get("section") or None,
            values.get("row") or None,
            values.get("number") or None,
        )
        for name, value in (("section", section), ("number", plot_number)):
            if value is None:
                problems.append(_("%(field)s fehlt.", field=LABELS[name]))
        if section and plot_number:
            code = "-".join(p for p in (section, row_text, plot_number) if p)
            if len(code) > PLOT_CODE_MAX:
                problems.append(_("Die Grabnummer „%(code)s“ ist zu lang.", code=code[:80]))
            result.code = code[:PLOT_CODE_MAX]
        type_text = values.get("grave_type") or ""
        if not type_text:
            problems.append(_("%(field)s fehlt.", field=LABELS["grave_type"]))
        else:
            row.grave_type = self.types.get(header_key(type_text))
            if row.grave_type is None:
                problems.append(
                    _(
                        "Unbekannte Grabart „%(type)s“ (bekannt: %(known)s).",
                        type=type_text[:60],
                        known=", ".join(self.type_names),
                    )
                )
            else:
                result.grave_type = row.grave_type.name

        # The holder.
        holder = values.get("holder") or None
        street, postcode, city = (
            values.get("street") or None,
            values.get("postcode") or None,
            values.get("city") or None,
        )
        if values.get("address") and not (street or postcode or city):
            street, postcode, city = _split_address(values["address"])
            if street and len(street) > 200:
                street = street[:200]
            if city and len(city) > 100:
                city = city[:100]
        if holder:
            row.holder = (holder, street, postcode, city)
        else:
            given = [
                LABELS[name]
                for name in ("right_start", "right_end", "certificate")
                if values.get(name)
            ]
            if given:
                problems.append(
                    _(
                        "Nutzungsberechtigter fehlt (angegeben sind %(given)s).",
                        given=", ".join(given),
                    )
                )
        start, end = values.get("right_start"), values.get("right_end")
        if start and end and start > end:
            problems.append(
                _(
                    "Das Nutzungsrecht endet (%(end)s) vor seinem Beginn (%(start)s).",
                    end=_fmt(end),
                    start=_fmt(start),
                )
            )

        # The burial.
        deceased = values.get("deceased") or None
        born, died, buried = values.get("born"), values.get("died"), values.get("burial_date")
        kind_text = header_key(values.get("kind") or "")
        consent_text = header_key(values.get("consent") or "")
        if deceased:
            kind = KINDS.get(kind_text) if kind_text else None
            if kind_text and kind is None:
                problems.append(
                    _(
                        "%(field)s: „%(value)s“ (erwartet: Sarg oder Urne).",
                        field=LABELS["kind"],
                        value=str(values.get("kind"))[:40],
                    )
                )
            elif kind is None and row.grave_type is not None:
                if row.grave_type.coffin_places == 0:
                    kind = "urn"
                elif row.grave_type.urn_places == 0:
                    kind = "coffin"
                else:
                    problems.append(_("%(field)s fehlt (Sarg oder Urne).", field=LABELS["kind"]))
            if consent_text in YES:
                consent = True
            elif consent_text in NO:
                consent = False
            else:
                consent = False
                problems.append(
                    _(
                        "%(field)s: „%(value)s“ (erwartet: ja oder nein).",
                        field=LABELS["consent"],
                        value=str(values.get("consent"))[:40],
                    )
                )
            for name in ("died", "burial_date"):
                if values.get(name) is None and name not in bad_dates:
                    problems.append(_("%(field)s fehlt.", field=LABELS[name]))
            if born and died and born > died:
                problems.append(
                    _(
                        "Geboren (%(born)s) nach dem Tod (%(died)s).",
                        born=_fmt(born),
                        died=_fmt(died),
                    )
                )
            if died and buried and died > buried:
                problems.append(
                    _(
                        "Gestorben (%(died)s) nach dem Bestattungsdatum (%(buried)s).",
                        died=_fmt(died),
                        buried=_fmt(buried),
                    )
                )
            if buried and buried > self.today:
                problems.append(
                    _(
                        "Die Bestattung am %(day)s liegt in der Zukunft: künftige Bestattungen "
                        "sind Termine und werden als Bestattung angemeldet, nicht übernommen.",
                        day=_fmt(buried),
                    )
                )
            elif died and died > self.today:
                problems.append(_("Das Sterbedatum %(day)s liegt in der Zukunft.", day=_fmt(died)))
            if kind and died and buried and row.grave_type is not None:
                row.burial = {
                    "row": row,
                    "name": deceased,
                    "key": name_key(deceased),
                    "born": born,
                    "died": died,
                    "burial_date": buried,
                    "kind": kind,
                    "public_listing": consent,
                    "rest_until": rules.rest_until(
                        self.cemetery, kind, buried, died, born, row.grave_type
                    ),
                }
                result.burial = "new"
                result.burial_info = (deceased, kind, buried, row.burial["rest_until"], consent)
        else:
            given = [
                LABELS[name] for name in ("born", "died", "burial_date", "kind") if values.get(name)
            ]
            if given:
                problems.append(
                    _(
                        "Name der/des Verstorbenen fehlt (angegeben sind %(given)s).",
                        given=", ".join(given),
                    )
                )
            if consent_text and consent_text not in YES | NO:
                problems.append(
                    _(
                        "%(field)s: „%(value)s“ (erwartet: ja oder nein).",
                        field=LABELS["consent"],
                        value=str(values.get("consent"))[:40],
                    )
                )
        return row


def _same_text(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def check(
    tenant: Tenant,
    cemetery: Cemetery,
    data: bytes,
    *,
    filename: str | None = None,
    today: date,
    max_bytes: int | None = MAX_BYTES,
) -> tuple[ImportReport, list[_PlotPlan]]:
    """Read and check the whole file (no writes): the report and the plan."""
    report = ImportReport(filename=filename, digest=hashlib.sha256(data).hexdigest())
    if max_bytes is not None and len(data) > max_bytes:
        report.problems.append(
            _("Die Datei ist größer als %(mb)d MB.", mb=max_bytes // (1024 * 1024))
        )
        return report, []
    try:
        table = read_table(data)
    except Unreadable as error:
        report.problems.append(str(error))
        return report, []
    while table and not any(cell not in ("", None) for cell in table[0]):
        table.pop(0)  # blank lines above the headers
    if not table:
        report.problems.append(_("Die Datei ist leer."))
        return report, []
    if sum(1 for cells in table if any(cell not in ("", None) for cell in cells)) > MAX_ROWS + 1:
        report.problems.append(_("Höchstens %(rows)d Zeilen in einer Datei.", rows=MAX_ROWS))
        return report, []
    headers, body = table[0], table[1:]
    checker = _Checker(tenant, cemetery, today)
    columns = checker.columns(headers, body, report.problems)
    if any(name not in columns for name in REQUIRED):
        return report, []
    if not any(any(cell not in ("", None) for cell in cells) for cells in body):
        report.problems.append(_("Die Datei enthält keine Zeilen unter den Überschriften."))
        return report, []

    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    for offset, cells in enumerate(body):
        if not any(cell not in ("", None) for cell in cells):
            continue
        row = checker.row(offset + 2, cells, columns)
        signature = tuple(str(row.values.get(name) or "").casefold() for name in sorted(columns))
        if signature in seen:
            row.result.problems.append(
                _("Die Zeile ist doppelt (gleich Zeile %(row)d).", row=seen[signature])
            )
        else:
            seen[signature] = row.result.number
        rows.append(row)
        report.rows.append(row.result)

    plans = _plan(tenant, cemetery, rows, today)
    return report, plans


def _plan(tenant: Tenant, cemetery: Cemetery, rows: list[_Row], today: date) -> list[_PlotPlan]:
    plans: dict[str, _PlotPlan] = {}
    for row in rows:
        result = row.result
        if result.code is None or row.grave_type is None:
            continue
        plan = plans.get(result.code)
        values = row.values
        if plan is None:
            plan = plans[result.code] = _PlotPlan(
                code=result.code,
                first=row,
                section=values["section"],
                row=values.get("row") or None,
                number=values["number"],
                grave_type=row.grave_type,
                notes=values.get("notes") or None,
            )
            result.plot = "new"
        else:
            result.plot = "again"
            if (values["section"], values.get("row") or None, values["number"]) != (
                plan.section,
                plan.row,
                plan.number,
            ):
                result.problems.append(
                    _(
                        "Feld, Reihe und Nummer ergeben %(code)s wie in Zeile %(row)d, sind "
                        "aber anders aufgeteilt.",
                        code=plan.code,
                        row=plan.first.result.number,
                    )
                )
            if plan.grave_type.id != row.grave_type.id:
                result.problems.append(
                    _(
                        "Grabart „%(type)s“ widerspricht Zeile %(row)d (%(other)s) für %(code)s.",
                        type=row.grave_type.name,
                        row=plan.first.result.number,
                        other=plan.grave_type.name,
                        code=plan.code,
                    )
                )
            if values.get("notes") and not plan.notes:
                plan.notes = values["notes"]
        # The right, as far as this row tells it; rows of one plot must agree.
        if row.holder is not None:
            if plan.holder is None:
                plan.holder, plan.holder_row = row.holder, result.number
            elif contact_key(*plan.holder) != contact_key(*row.holder):
                result.problems.append(
                    _(
                        "Widersprüchliche Nutzungsrechte für %(code)s: Zeile %(row)d nennt "
                        "%(other)s als Nutzungsberechtigte/n, diese Zeile %(this)s.",
                        code=plan.code,
                        row=plan.holder_row,
                        other=plan.holder[0],
                        this=row.holder[0],
                    )
                )
        for name, attr in (
            ("right_start", "start"),
            ("right_end", "end"),
            ("certificate", "certificate"),
        ):
            value = values.get(name) or None
            if value is None:
                continue
            have = getattr(plan, attr)
            if have is None:
                setattr(plan, attr, value)
            elif (have.casefold() != value.casefold()) if isinstance(have, str) else have != value:
                result.problems.append(
                    _(
                        "Widersprüchliche Nutzungsrechte für %(code)s: %(field)s „%(this)s“, "
                        "in einer früheren Zeile „%(other)s“.",
                        code=plan.code,
                        field=LABELS[name],
                        this=_fmt(value) if isinstance(value, date) else value,
                        other=_fmt(have) if isinstance(have, date) else have,
                    )
                )
        if row.burial is not None:
            for other in plan.burials:
                if other["key"] == row.burial["key"] and other["died"] == row.burial["died"]:
                    result.problems.append(
                        _(
                            "%(name)s ist für %(code)s schon in Zeile %(row)d eingetragen.",
                            name=row.burial["name"],
                            code=plan.code,
                            row=other["row"].result.number,
                        )
                    )
                    break
            else:
                plan.burials.append(row.burial)

    _existing(tenant, cemetery, plans)
    for plan in plans.values():
        _resolve_right(plan, today)
        _place_burials(plan)
    return list(plans.values())


def _existing(tenant: Tenant, cemetery: Cemetery, plans: dict[str, _PlotPlan]) -> None:
    """Compare with the plots, rights and burials the cemetery has already."""
    codes = list(plans)
    existing: dict[str, Plot] = {}
    for i in range(0, len(codes), CHUNK):
        for plot in db.session.scalars(
            scoped(Plot, tenant).where(
                Plot.cemetery_id == cemetery.id, Plot.code.in_(codes[i : i + CHUNK])
            )
        ):
            existing[plot.code] = plot
    if not existing:
        return
    ids = [plot.id for plot in existing.values()]
    types: dict[int, str] = {}
    places: dict[int, tuple[int, int]] = {}
    for grave_type in db.session.scalars(scoped(GraveType, tenant)):
        types[grave_type.id] = grave_type.name
        places[grave_type.id] = (grave_type.coffin_places, grave_type.urn_places)
    sections = {
        s.id: s.name
        for s in db.session.scalars(
            scoped(Section, tenant).where(Section.cemetery_id == cemetery.id)
        )
    }
    rights: dict[int, GraveRight] = {}
    burials: dict[int, list[Burial]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for right in db.session.scalars(
            scoped(GraveRight, tenant).where(
                GraveRight.plot_id.in_(chunk), GraveRight.status == "active"
            )
        ):
            rights[right.plot_id] = right
        for burial in db.session.scalars(
            scoped(Burial, tenant).where(
                Burial.plot_id.in_(chunk), Burial.status.in_(ACTIVE_BURIAL_STATUSES)
            )
        ):
            burials.setdefault(burial.plot_id, []).append(burial)
    holders = {c.id: c for c in _chunked_contacts(tenant, [r.holder_id for r in rights.values()])}
    for code, plot in existing.items():
        plan = plans[code]
        plan.existing = plot
        coffins, urns = places[plot.grave_type_id]
        plan.capacity = {
            "coffin": coffins if plot.coffin_places is None else plot.coffin_places,
            "urn": urns if plot.urn_places is None else plot.urn_places,
        }
        first = plan.first.result
        first.plot = "existing"
        differences = []
        if plot.grave_type_id != plan.grave_type.id:
            differences.append(_("Grabart %(type)s", type=types.get(plot.grave_type_id, "?")))
        if sections.get(plot.section_id) is not None and sections[plot.section_id] != plan.section:
            differences.append(_("Feld %(name)s", name=sections[plot.section_id]))
        if plot.row and plan.row and plot.row != plan.row:
            differences.append(_("Reihe %(row)s", row=plot.row))
        if differences:
            first.problems.append(
                _(
                    "Die Grabstätte %(code)s gibt es auf dem Friedhof schon, mit anderen "
                    "Angaben: %(differences)s.",
                    code=code,
                    differences=", ".join(differences),
                )
            )
        right = rights.get(plot.id)
        if right is not None:
            plan.existing_right = right
            holder = holders.get(right.holder_id)
            if plan.holder is not None or plan.end is not None:
                same = (
                    (plan.holder is None or (holder and _same_text(holder.name, plan.holder[0])))
                    and (plan.end is None or plan.end == right.end_date)
                    and (plan.start is None or plan.start == right.start_date)
                    and (
                        plan.certificate is None
                        or right.certificate_number is None
                        or _same_text(plan.certificate, right.certificate_number)
                    )
                )
                if not same:
                    first.problems.append(
                        _(
                            "Für %(code)s besteht schon ein anderes Nutzungsrecht "
                            "(%(holder)s, %(start)s bis %(end)s).",
                            code=code,
                            holder=holder.name if holder else "?",
                            start=_fmt(right.start_date),
                            end=_fmt(right.end_date),
                        )
                    )
        for old in burials.get(plot.id, []):
            match = next(
                (
                    b
                    for b in plan.burials
                    if b["key"] == old.deceased_name_key and b["died"] == old.deceased_died
                ),
                None,
            )
            if match is not None:
                match["existing"] = old
                match["row"].result.burial = "existing"
        plan.burials.extend(
            {
                "existing": old,
                "placed": True,
                "kind": old.kind,
                "place": old.place,
                "burial_date": old.burial_date,
                "rest_until": old.rest_until,
                "key": old.deceased_name_key,
                "died": old.deceased_died,
                "name": old.deceased_name,
                "row": None,
            }
            for old in burials.get(plot.id, [])
        )
        # A file's burial matching one already there is not created twice.
        plan.burials = [b for b in plan.burials if b.get("placed") or "existing" not in b]


def _chunked_contacts(tenant: Tenant, ids: list[int]) -> list[Contact]:
    found: list[Contact] = []
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        found += db.session.scalars(
            scoped(Contact, tenant).where(Contact.id.in_(ids[i : i + CHUNK]))
        )
    return found


def _resolve_right(plan: _PlotPlan, today: date) -> None:
    """The plan's right: as the file gives it, its missing start or end as a
    new right would have them; each burial's rest period must end inside it."""
    first = plan.first.result
    new_burials = [b for b in plan.burials if b.get("row") is not None]
    right_end: date | None = None
    if plan.existing_right is not None:
        right = plan.existing_right
        right_end = right.end_date
        info = (None, right.start_date, right.end_date, False)
        for row in _rows_of(plan):
            if row.holder is not None or row.values.get("right_end"):
                row.result.right = "existing"
                row.result.right_info = info
    elif plan.holder is not None:
        term = plan.grave_type.default_term_years
        if plan.start is None:
            dates = [b["burial_date"] for b in new_burials]
            if dates and (plan.end is None or min(dates) <= plan.end):
                plan.start = min(dates)
            elif plan.end is not None:
                plan.start = rules.add_years(plan.end, -term)
            plan.right_computed = plan.start is not None
        if plan.end is None and plan.start is not None:
            longest = max((b["rest_until"] for b in new_burials), default=plan.start)
            years = max(term, rules.years_to_cover(plan.start, longest))
            plan.end = rules.term_end(plan.start, min(years, TERM_MAX))
            plan.right_computed = True
        if plan.end is None or plan.start is None:
            first.problems.append(
                _(
                    "Nutzungsrecht bis fehlt für %(code)s (und keine Bestattung, aus der es "
                    "sich ergibt).",
                    code=plan.code,
                )
            )
            return
        if plan.start > plan.end:
            return  # reported with the row
        plan.new_right = True
        right_end = plan.end
        info = (plan.holder[0], plan.start, plan.end, plan.right_computed)
        shown = False
        for row in _rows_of(plan):
            if row.holder is not None or row.values.get("right_end"):
                row.result.right = "again" if shown else "new"
                row.result.right_info = info
                shown = True
    if right_end is None:
        return
    for burial in new_burials:
        if burial["rest_until"] > right_end:
            burial["row"].result.problems.append(
                _(
                    "Die Ruhezeit von %(name)s endet am %(until)s, nach dem Nutzungsrecht "
                    "für %(code)s (bis %(end)s).",
                    name=burial["name"],
                    until=_fmt(burial["rest_until"]),
                    code=plan.code,
                    end=_fmt(right_end),
                )
            )


def _rows_of(plan: _PlotPlan) -> list[_Row]:
    rows = [plan.first]
    rows += [
        b["row"] for b in plan.burials if b.get("row") is not None and b["row"] is not plan.first
    ]
    return rows


def _place_burials(plan: _PlotPlan) -> None:
    """Give every new burial a place (``Burial.place``) free on its day;
    more rest periods at once than the plot has places is a problem."""
    capacity = plan.capacity or {
        "coffin": plan.grave_type.coffin_places,
        "urn": plan.grave_type.urn_places,
    }
    for kind in ("coffin", "urn"):
        of_kind = sorted(
            (b for b in plan.burials if b["kind"] == kind),
            key=lambda b: (not b.get("placed"), b["burial_date"]),
        )
        placed = [b for b in of_kind if b.get("placed")]
        for burial in (b for b in of_kind if not b.get("placed")):
            row = burial["row"].result
            if capacity[kind] == 0:
                row.problems.append(
                    _(
                        "Die Grabart %(type)s hat keinen Platz für %(kind)s.",
                        type=plan.grave_type.name,
                        kind=_("einen Sarg") if kind == "coffin" else _("eine Urne"),
                    )
                )
                continue
            taken = {
                b["place"]
                for b in placed
                # Rest periods that overlap at all (an existing burial may lie
                # after this one in time and still share its place).
                if b["burial_date"] <= burial["rest_until"]
                and burial["burial_date"] <= b["rest_until"]
            }
            free = next((p for p in range(1, capacity[kind] + 1) if p not in taken), None)
            if free is None:
                row.problems.append(
                    _(
                        "Überschneidende Ruhezeiten in %(code)s: am %(day)s ruhen dort schon "
                        "%(count)d %(kind)s, die Grabstätte hat %(places)d Platz/Plätze dafür.",
                        code=plan.code,
                        day=_fmt(burial["burial_date"]),
                        count=len(taken),
                        kind=_("Särge") if kind == "coffin" else _("Urnen"),
                        places=capacity[kind],
                    )
                )
                continue
            burial["place"] = free
            burial["placed"] = True
            placed.append(burial)


# --- writing ------------------------------------------------------------------------


def _write(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    plans: list[_PlotPlan],
    report: ImportReport,
    today: date,
    now: datetime,
) -> dict[str, int]:
    db.session.flush()
    actor_id = actor.id if actor is not None else None
    # Sections.
    sections = {
        name: section_id
        for section_id, name in db.session.execute(
            select(Section.id, Section.name).where(
                in_tenant(Section, tenant), Section.cemetery_id == cemetery.id
            )
        )
    }
    new_sections = sorted({p.section for p in plans if p.existing is None} - set(sections))
    if new_sections:
        table = Section.__table__
        for section_id, name in db.session.execute(
            insert(table).returning(table.c.id, table.c.name),
            [{"tenant_id": tenant.id, "cemetery_id": cemetery.id, "name": n} for n in new_sections],
        ):
            sections[name] = section_id
    # Plots.
    plot_ids = {p.code: p.existing.id for p in plans if p.existing is not None}
    new_plots = [p for p in plans if p.existing is None]
    for start in range(0, len(new_plots), CHUNK):
        chunk = new_plots[start : start + CHUNK]
        rows = []
        for plan in chunk:
            # Drawn on the section's map where row and number are numbers
            # (a field without rows: one line).
            drawn = _small_number(plan.number) and (plan.row is None or _small_number(plan.row))
            map_row = int(plan.row) if drawn and plan.row else 1
            rows.append(
                {
                    "tenant_id": tenant.id,
                    "cemetery_id": cemetery.id,
                    "section_id": sections[plan.section],
                    "grave_type_id": plan.grave_type.id,
                    "code": plan.code,
                    "row": plan.row,
                    "number": plan.number,
                    "sort_key": default_sort_key(
                        plan.row if plan.row and plan.row.isascii() else None,
                        plan.number if plan.number.isascii() else None,
                    ),
                    "x": max(int(plan.number) - 1, 0) * MAP_STEP_X if drawn else None,
                    "y": max(map_row - 1, 0) * MAP_STEP_Y if drawn else None,
                    "width": MAP_WIDTH if drawn else None,
                    "height": MAP_HEIGHT if drawn else None,
                    "notes": plan.notes,
                    "blocked": False,
                    "created_at": now,
                }
            )
        # RETURNING the code with the id: the rows may come back in any order
        # (SQLite's batched inserts keep none).
        table = Plot.__table__
        for plot_id, code in db.session.execute(
            insert(table).returning(table.c.id, table.c.code), rows
        ):
            plot_ids[code] = plot_id
    # Holders: the contact with this name and address, else a new one.
    wanted = {contact_key(*p.holder): p.holder for p in plans if p.new_right and p.holder}
    contacts = _known_contacts(tenant, wanted)
    new_contacts = [(key, holder) for key, holder in wanted.items() if key not in contacts]
    for start in range(0, len(new_contacts), CHUNK):
        chunk = new_contacts[start : start + CHUNK]
        table = Contact.__table__
        returned = db.session.execute(
            insert(table).returning(table.c.id, table.c.match_key),
            [
                {
                    "tenant_id": tenant.id,
                    "name": holder[0],
                    "street": holder[1],
                    "postcode": holder[2],
                    "city": holder[3],
                    "created_at": now,
                }
                for _key, holder in chunk
            ],
        )
        for contact_id, key in returned:
            contacts[key] = contact_id
    # Rights and their history.
    right_ids = {p.code: p.existing_right.id for p in plans if p.existing_right is not None}
    new_rights = [p for p in plans if p.new_right]
    for start in range(0, len(new_rights), CHUNK):
        chunk = new_rights[start : start + CHUNK]
        table = GraveRight.__table__
        returned = db.session.execute(
            insert(table).returning(table.c.id, table.c.plot_id),
            [
                {
                    "tenant_id": tenant.id,
                    "plot_id": plot_ids[plan.code],
                    "holder_id": contacts[contact_key(*plan.holder)],
                    "start_date": plan.start,
                    "end_date": plan.end,
                    "certificate_number": plan.certificate,
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for plan in chunk
            ],
        )
        by_plot = {plot_ids[plan.code]: plan for plan in chunk}
        events = []
        for right_id, plot_id in returned:
            plan = by_plot[plot_id]
            right_ids[plan.code] = right_id
            events.append(
                {
                    "tenant_id": tenant.id,
                    "right_id": right_id,
                    "kind": "imported",
                    "on_date": today,
                    "years": None,
                    "details": {
                        "file": report.filename,
                        "row": plan.holder_row,
                        "start": plan.start.isoformat(),
                        "end": plan.end.isoformat(),
                        "computed": plan.right_computed,
                    },
                    "actor_id": actor_id,
                    "note": "Aus dem bisherigen Register übernommen",
                    "created_at": now,
                }
            )
        db.session.execute(insert(GraveRightEvent.__table__), events)
    # Burials.
    burials = []
    for plan in plans:
        for burial in plan.burials:
            if burial.get("row") is None or "existing" in burial:
                continue
            burials.append(
                {
                    "tenant_id": tenant.id,
                    "cemetery_id": cemetery.id,
                    "plot_id": plot_ids[plan.code],
                    "right_id": right_ids.get(plan.code),
                    "kind": burial["kind"],
                    "place": burial["place"],
                    "deceased_name": burial["name"],
                    "deceased_name_key": burial["key"],
                    "deceased_born": burial["born"],
                    "deceased_died": burial["died"],
                    "burial_date": burial["burial_date"],
                    "start_at": None,
                    "ceremony_minutes": 0,
                    "rest_until": burial["rest_until"],
                    "public_listing": burial["public_listing"],
                    "status": "done",
                    "note": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for start in range(0, len(burials), CHUNK):
        db.session.execute(insert(Burial.__table__), burials[start : start + CHUNK])
    return {
        "sections": len(new_sections),
        "plots": len(new_plots),
        "contacts": len(new_contacts),
        "rights": len(new_rights),
        "burials": len(burials),
    }


def _known_contacts(tenant: Tenant, wanted: dict[str, tuple]) -> dict[str, int]:
    """The tenant's contacts among the holders ``wanted`` (by ``contact_key``,
    as ``rights.find_or_create_contact`` finds them), by key."""
    contacts: dict[str, int] = {}
    keys = sorted(wanted)
    for i in range(0, len(keys), CHUNK):
        for contact_id, key in db.session.execute(
            select(Contact.id, Contact.match_key)
            .where(in_tenant(Contact, tenant), Contact.match_key.in_(keys[i : i + CHUNK]))
            .order_by(Contact.id)
        ):
            contacts.setdefault(key, contact_id)
    return contacts


def _small_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 4


def _planned_counts(plans: list[_PlotPlan], tenant: Tenant, cemetery: Cemetery) -> dict[str, int]:
    existing_sections = set(
        db.session.scalars(
            select(Section.name).where(
                in_tenant(Section, tenant), Section.cemetery_id == cemetery.id
            )
        )
    )
    wanted = {contact_key(*p.holder): p.holder for p in plans if p.new_right and p.holder}
    return {
        "sections": len({p.section for p in plans if p.existing is None} - existing_sections),
        "plots": sum(1 for p in plans if p.existing is None),
        "contacts": len(set(wanted) - set(_known_contacts(tenant, wanted))),
        "rights": sum(1 for p in plans if p.new_right),
        "burials": sum(
            1 for p in plans for b in p.burials if b.get("row") is not None and "existing" not in b
        ),
    }


def import_register(
    tenant: Tenant,
    actor: User | None,
    cemetery: Cemetery,
    data: bytes | os.PathLike,
    *,
    filename: str | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Check the file and, when it is clean and this is no dry run, write
    its plots, rights and burials (flushed, in the caller's transaction) with
    one audit entry. The report says per row what is (or would be) created
    and every problem; with any problem nothing is written. ``data``: the
    file's bytes or its path; ``max_bytes``: refuse a larger file (the
    upload page passes ``MAX_BYTES``)."""
    if isinstance(data, os.PathLike):
        filename = filename or Path(data).name
        data = Path(data).read_bytes()
    require_manage(tenant, actor)
    if cemetery.tenant_id != tenant.id:
        raise ValidationFailed(CHECK, {"cemetery_id": [_("Unbekannter Friedhof.")]})
    now = now or utcnow()
    today = local_today(tenant, now)
    with db.session.no_autoflush:
        report, plans = check(
            tenant, cemetery, data, filename=filename, today=today, max_bytes=max_bytes
        )
    if not report.ok:
        report.counts = {}
        return report
    if dry_run:
        report.counts = _planned_counts(plans, tenant, cemetery)
        return report
    report.counts = _write(tenant, actor, cemetery, plans, report, today, now)
    report.written = True
    audit.record(
        tenant,
        actor,
        "cemetery.import",
        cemetery,
        after={
            "file": report.filename,
            "sha256": report.digest,
            "rows": len(report.rows),
            **report.counts,
        },
        now=now,
    )
    db.session.flush()
    return report
