"""Section maps (server-rendered SVG) with the equivalent table.

* ``GET /<tenant>/cemeteries/<cid>/sections``: the cemetery's sections
  (Felder) with their plot counts — staff and funeral homes
  (``can_view_plots``).
* ``GET /<tenant>/cemeteries/<cid>/sections/<sid>/map[?plot=<id>]``: for
  staff and funeral homes the full map with every plot's status (``plot``
  highlights one); for everyone else only ``?plot=`` of a plot the grave
  search would show (consent, a grave type that discloses its location),
  drawn alone on the section's outline — any other plot is a 404, and
  without ``plot`` the page is for staff (sign-in, else 403). The public
  view is rate-limited like the search.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user

from booking.accounts.access import requires
from booking.extensions import limiter
from booking.tenants.service import get_scoped
from cemetery import map as section_maps
from cemetery import register
from cemetery import search as grave_search
from cemetery.access import can_manage_cemetery, can_view_plots
from cemetery.models import Cemetery, Plot, Section
from cemetery.search_views import rate_limit, too_many_searches

bp = Blueprint("cemetery_map", __name__, url_prefix="/<tenant>/cemeteries")
bp.register_error_handler(429, too_many_searches)

PLOT_PAGE = "cemetery.plot"  # the register's page of a plot (clerks)


def _section(cemetery_id: int, section_id: int) -> tuple[Cemetery, Section]:
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    section = get_scoped(Section, g.tenant, section_id)
    if section.cemetery_id != cemetery.id:
        abort(404)
    return cemetery, section


def _plot_param() -> int | None:
    """``?plot=``: None when absent; 400 when it is no number."""
    raw = request.args.get("plot")
    if raw is None:
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        abort(400)
    return int(raw)


def _staff_link(manager: bool):
    """Where a plot on the full map leads: its register page for clerks,
    else its row in the table below."""
    if manager:
        return lambda plot: url_for(PLOT_PAGE, plot_id=plot.id)
    return lambda plot: f"#plot-{plot.id}"


def _sees_all() -> bool:
    return can_view_plots(current_user, g.tenant)


@bp.get("/<int:cemetery_id>/sections")
@requires(can_view_plots)
def sections(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    return render_template(
        "cemetery/sections.html",
        cemetery=cemetery,
        sections=register.sections(g.tenant, cemetery),
        counts=register.plot_counts(g.tenant, cemetery),
    )


@bp.get("/<int:cemetery_id>/sections/<int:section_id>/map")
@limiter.limit(rate_limit, exempt_when=_sees_all)
def section_map(cemetery_id: int, section_id: int):
    cemetery, section = _section(cemetery_id, section_id)
    plot_id = _plot_param()
    plot = None
    if plot_id is not None:
        plot = get_scoped(Plot, g.tenant, plot_id)
        if plot.section_id != section.id:
            abort(404)
    if _sees_all():
        manager = can_manage_cemetery(current_user, g.tenant)
        drawn = section_maps.full_map(
            g.tenant,
            section,
            today=register.local_today(g.tenant),
            with_rights=manager,
            link=_staff_link(manager),
            highlight_id=plot.id if plot else None,
        )
        return render_template(
            "cemetery/section_map.html", cemetery=cemetery, section=section, map=drawn, staff=True
        )
    if plot is None:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(403)
    if not grave_search.is_public_plot(g.tenant, plot):
        abort(404)
    drawn = section_maps.public_map(g.tenant, section, plot, link=f"#plot-{plot.id}")
    return render_template(
        "cemetery/section_map.html", cemetery=cemetery, section=section, map=drawn, staff=False
    )
