"""A section's map (Lageplan), prepared for the server-rendered SVG and its
equivalent table (templates/cemetery/_map_svg.html).

Each plot with a position (``Plot.x``, ``y``, ``width``, ``height``) is a
rectangle; plots without one are listed in the table only. A status is shown
by a fill PATTERN and a LETTER inside the plot, both explained in the legend,
and in words in the link's label and the table — never by colour alone.

Two audiences:

* staff and funeral homes (``full_map``): every plot with its status, linked
  (to the plot's register page for clerks, else to its row in the table);
  the right's end only for clerks (``with_rights``);
* the public, coming from a grave search result (``public_map``): the
  section's outline of plots without any status, and the one plot searched
  for highlighted — nothing about other graves (their status tells whether
  and until when someone lies there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from statistics import median

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.tenants.models import Tenant
from booking.tenants.service import in_tenant, scoped
from cemetery import register
from cemetery.models import GraveRight, Plot, Section

# Short status words: the link's label ("B-04-12, Wahlgrab, belegt"), the
# legend and the table.
STATUS_TEXT = {
    "free": _l("frei"),
    "reserved": _l("reserviert"),
    "occupied": _l("belegt"),
    "rest_ended": _l("Ruhezeit abgelaufen"),
    "expired": _l("Nutzungsrecht abgelaufen"),
    "blocked": _l("gesperrt"),
}
# The letter drawn inside a plot (explained in the legend).
STATUS_LETTER = {
    "free": lazy_pgettext("plot status letter: frei", "F"),
    "reserved": lazy_pgettext("plot status letter: reserviert", "R"),
    "occupied": lazy_pgettext("plot status letter: belegt", "B"),
    "rest_ended": lazy_pgettext("plot status letter: Ruhezeit abgelaufen", "E"),
    "expired": lazy_pgettext("plot status letter: Nutzungsrecht abgelaufen", "X"),
    "blocked": lazy_pgettext("plot status letter: gesperrt", "S"),
}
# The fill of each status: the SVG <pattern> drawn for it (see _map_svg.html).
STATUS_PATTERN = {
    "free": "plain",
    "reserved": "dots",
    "occupied": "hatch",
    "rest_ended": "lines",
    "expired": "cross",
    "blocked": "solid",
}
STATUS_ORDER = ("free", "reserved", "occupied", "rest_ended", "expired", "blocked")


@dataclass
class MapPlot:
    id: int
    code: str
    grave_type: str
    status: str | None  # None on the public map
    status_text: str | None
    letter: str | None
    pattern: str  # a key of STATUS_PATTERN's values, "outline" or "highlight"
    label: str  # the link's accessible name
    href: str | None  # None: not a link (other plots on the public map)
    highlighted: bool = False
    right_until: date | None = None
    x: int | None = None
    y: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def placed(self) -> bool:
        return None not in (self.x, self.y, self.width, self.height) and (
            (self.width or 0) > 0 and (self.height or 0) > 0
        )

    @property
    def cx(self) -> float:
        return (self.x or 0) + (self.width or 0) / 2

    @property
    def cy(self) -> float:
        return (self.y or 0) + (self.height or 0) / 2

    @property
    def font_size(self) -> float:
        return round(max(1.0, min(self.width or 0, self.height or 0) * 0.55), 2)


@dataclass
class SectionMap:
    section: Section
    plots: list[MapPlot]  # in plot order
    with_status: bool
    with_rights: bool
    view_box: str = "0 0 100 100"
    pattern_unit: float = 4.0
    stroke: float = 0.5
    legend: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def placed(self) -> list[MapPlot]:
        return [p for p in self.plots if p.placed]

    @property
    def unplaced(self) -> list[MapPlot]:
        return [p for p in self.plots if not p.placed]

    @property
    def highlighted(self) -> MapPlot | None:
        return next((p for p in self.plots if p.highlighted), None)


def plot_label(code: str, grave_type: str, status_text: str | None) -> str:
    """ "B-04-12, Wahlgrab, belegt" (without the status on the public map)."""
    return ", ".join(str(part) for part in (code, grave_type, status_text) if part)


def _geometry(section_map: SectionMap) -> None:
    """The viewBox around the placed plots (with a margin), and the sizes
    of patterns and outlines relative to a typical plot."""
    placed = section_map.placed
    if not placed:
        return
    left = min(p.x or 0 for p in placed)
    top = min(p.y or 0 for p in placed)
    right = max((p.x or 0) + (p.width or 0) for p in placed)
    bottom = max((p.y or 0) + (p.height or 0) for p in placed)
    typical = median(min(p.width or 0, p.height or 0) for p in placed)
    margin = max(1, round(typical / 2))
    section_map.view_box = (
        f"{left - margin} {top - margin} {right - left + 2 * margin} {bottom - top + 2 * margin}"
    )
    section_map.pattern_unit = round(max(1.0, typical / 4), 2)
    section_map.stroke = round(max(0.2, typical / 20), 2)


def _plots(tenant: Tenant, section: Section) -> list[Plot]:
    return list(
        db.session.scalars(
            scoped(Plot, tenant)
            .where(Plot.section_id == section.id)
            .options(selectinload(Plot.grave_type))
            .order_by(Plot.sort_key, Plot.code)
        )
    )


def _right_ends(tenant: Tenant, section: Section) -> dict[int, date]:
    """``{plot id: the active right's last day}`` for the section, one query."""
    rows = db.session.execute(
        select(GraveRight.plot_id, GraveRight.end_date)
        .join(Plot, Plot.id == GraveRight.plot_id)
        .where(in_tenant(GraveRight, tenant), Plot.section_id == section.id)
        .where(GraveRight.status == "active")
    )
    return {plot_id: end for plot_id, end in rows}


def full_map(
    tenant: Tenant,
    section: Section,
    *,
    today: date,
    with_rights: bool,
    link: Callable[[Plot], str],
    highlight_id: int | None = None,
) -> SectionMap:
    """The section with every plot's status (staff, funeral homes): three
    queries for any number of plots (plots, statuses, rights)."""
    plots = _plots(tenant, section)
    statuses = register.plot_statuses(tenant, [p.id for p in plots], today)
    ends = _right_ends(tenant, section) if with_rights else {}
    items = []
    for plot in plots:
        status = statuses.get(plot.id, "free")
        text = str(STATUS_TEXT[status])
        items.append(
            MapPlot(
                id=plot.id,
                code=plot.code,
                grave_type=plot.grave_type.name,
                status=status,
                status_text=text,
                letter=str(STATUS_LETTER[status]),
                pattern=STATUS_PATTERN[status],
                label=plot_label(plot.code, plot.grave_type.name, text),
                href=link(plot),
                highlighted=plot.id == highlight_id,
                right_until=ends.get(plot.id),
                x=plot.x,
                y=plot.y,
                width=plot.width,
                height=plot.height,
            )
        )
    section_map = SectionMap(section, items, with_status=True, with_rights=with_rights)
    section_map.legend = [
        (status, str(STATUS_LETTER[status]), str(STATUS_TEXT[status]), STATUS_PATTERN[status])
        for status in STATUS_ORDER
    ]
    _geometry(section_map)
    return section_map


def public_map(tenant: Tenant, section: Section, plot: Plot, *, link: str) -> SectionMap:
    """The section's outline with only ``plot`` marked (the public, from a
    grave search result; the caller has checked ``search.is_public_plot``).
    Other plots carry no status, no label, no link, not even their code."""
    items = []
    for other in _plots(tenant, section):
        if other.id == plot.id:
            items.append(
                MapPlot(
                    id=other.id,
                    code=other.code,
                    grave_type=other.grave_type.name,
                    status=None,
                    status_text=None,
                    letter=None,
                    pattern="highlight",
                    label=plot_label(other.code, other.grave_type.name, None),
                    href=link,
                    highlighted=True,
                    x=other.x,
                    y=other.y,
                    width=other.width,
                    height=other.height,
                )
            )
        elif None not in (other.x, other.y, other.width, other.height):
            items.append(
                MapPlot(
                    id=0,  # no id, code or status of another grave reaches the page
                    code="",
                    grave_type="",
                    status=None,
                    status_text=None,
                    letter=None,
                    pattern="outline",
                    label="",
                    href=None,
                    x=other.x,
                    y=other.y,
                    width=other.width,
                    height=other.height,
                )
            )
    section_map = SectionMap(section, items, with_status=False, with_rights=False)
    _geometry(section_map)
    return section_map
