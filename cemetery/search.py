"""The public grave search (Grabsuche): who lies where, by name, within one
cemetery.

What it shows, and only that: the deceased's name, dates of birth and death,
the cemetery, section and plot code (and the ids the section map needs). Never
a holder, a funeral home or anything else personal. A burial is found only

* with the relatives' consent (``Burial.public_listing``),
* when it is ``confirmed`` or ``done`` (a funeral home's mere request is not),
* on a plot whose grave type discloses its location (never an anonymous urn
  field, whatever the consent says),
* in the one cemetery asked for (a cemetery is required: no search across all).

Matching: every word of the query must be the beginning of a word of the name
("schm" finds "Anna Schmidt", "anna schm" and "schmidt anna" find her too), on
``Burial.deceased_name_key`` (``register.name_key``: case folded, ß → ss,
accents removed, so "Muller" finds "Müller"). The query's characters are
literal: ``%`` and ``_`` are no wildcards. At least two letters are needed, and
at most ``limit`` results come back (``Found.more`` says that there were more:
the page asks to refine), so the search never lists the register.

Tradeoff (word prefix, not whole-name prefix, not substring): a whole-name
prefix would be one range scan of the index ``ix_burial_cemetery_name``
(cemetery_id, deceased_name_key), but finds only the first word — keys read
"anna schmidt" as often as "schmidt, anna", so a surname search would miss
most graves. A substring match finds too much ("anna" in "johanna") at the
same cost. The word prefix walks the cemetery's entries of that index in
name order (SQLite; PostgreSQL plans a scan for a rare name, the walk for a
common one — see ``_inline``) and stops after ``limit + 1`` shown burials:
a few ms for a common name, one pass over the cemetery's burials for a rare
one (measured on 100,000 burials on a busy 2-core machine: SQLite 5–25 ms
common, 30–150 ms rare; PostgreSQL 15–45 ms common, 70–150 ms rare;
``bench/cemetery.py``). A word index (a table of the name's words, or
pg_trgm on PostgreSQL) would make the rare case a range scan too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, exists, or_, select
from sqlalchemy.sql.elements import BindParameter

from booking.core import ValidationFailed, has_forbidden_characters, too_long
from booking.extensions import db
from booking.tenants.models import Tenant
from cemetery.models import Burial, Cemetery, GraveType, Plot, Section
from cemetery.register import name_key

# Burials the search may show: confirmed by a clerk, or past.
SHOWN_STATUSES = ("confirmed", "done")
MIN_LETTERS = 2
QUERY_MAX = 100  # characters of the name asked for
WORDS_MAX = 5
DEFAULT_LIMIT = 50
# Separators between the words of a name key (and of a query).
WORD_SEPARATORS = (" ", "-")
_QUERY_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class GraveHit:
    """One burial as the public may see it."""

    name: str
    born: date | None
    died: date
    cemetery: str
    cemetery_id: int
    section: str | None
    section_id: int | None
    plot_code: str
    plot_id: int


class Found(list[GraveHit]):
    """The hits (at most the limit), and ``more``: whether there were more."""

    more: bool = False


def letters(text: str) -> int:
    return sum(1 for c in text.strip() if c.isalpha())


def query_words(name: Any) -> list[str]:
    """The query as folded words, or 422 (field ``name``): at least two
    letters (counted after trimming), at most ``QUERY_MAX`` characters."""
    text = name if isinstance(name, str) else ""
    text = text.strip()
    if has_forbidden_characters(text):
        raise ValidationFailed(
            _l("Bitte prüfen Sie den Namen."),
            {"name": [_l("Steuerzeichen und ungültige Unicode-Zeichen sind nicht erlaubt.")]},
        )
    if len(text) > QUERY_MAX:
        raise ValidationFailed(_l("Bitte prüfen Sie den Namen."), {"name": [too_long(QUERY_MAX)]})
    if letters(text) < MIN_LETTERS:
        raise ValidationFailed(
            _l("Bitte geben Sie mindestens zwei Buchstaben des Namens ein."),
            {"name": [_l("Mindestens zwei Buchstaben.")]},
        )
    words = [w for w in _QUERY_SPLIT.split(name_key(text)) if w]
    if len(words) > WORDS_MAX:
        raise ValidationFailed(
            _l("Bitte prüfen Sie den Namen."),
            {"name": [_l("Höchstens %(num)d Wörter.", num=WORDS_MAX)]},
        )
    return words


def _literal(word: str) -> str:
    """``word`` for a LIKE pattern with ``\\`` as escape: its ``%`` and ``_``
    are plain characters."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_match(key: Any, word: str) -> ColumnElement[bool]:
    """``word`` begins the key or one of its words."""
    lit = _literal(word)
    patterns = [f"{lit}%", *(f"%{sep}{lit}%" for sep in WORD_SEPARATORS)]
    return or_(*(key.like(_inline(p, String), escape="\\") for p in patterns))


def _inline(value: Any, type_: Any) -> BindParameter[Any]:
    """``value`` rendered into the statement (quoted by the dialect), not
    bound. With bound values PostgreSQL switches the prepared statement
    (psycopg prepares it from the 5th run on) to a generic plan that cannot
    tell a rare name from a common one: it walks the whole index with a heap
    fetch per row, a second instead of a scan's 30 ms. Inlined, every plan is
    made for the pattern at hand."""
    return bindparam(None, value, type_=type_, literal_execute=True)


def _shown(tenant: Tenant, cemetery: Cemetery) -> list[ColumnElement[bool]]:
    """The conditions every shown burial meets (consent, status, a plot
    whose grave type discloses its location, this cemetery)."""
    disclosed = exists().where(
        Plot.id == Burial.plot_id,
        GraveType.id == Plot.grave_type_id,
        GraveType.discloses_location.is_(True),
    )
    return [
        Burial.tenant_id == _inline(tenant.id, Integer),  # in_tenant, inlined
        Burial.cemetery_id == _inline(cemetery.id, Integer),
        Burial.public_listing.is_(True),
        Burial.status.in_(
            bindparam(None, list(SHOWN_STATUSES), expanding=True, literal_execute=True)
        ),
        disclosed,
    ]


def hits_query(
    tenant: Tenant, cemetery: Cemetery, words: list[str], limit: int
) -> Select[int, str, date | None, date, int, str, int, str]:
    """The burials shown for ``words`` (from ``query_words``), in name order."""
    key = Burial.deceased_name_key
    return (
        select(
            Burial.id,
            Burial.deceased_name,
            Burial.deceased_born,
            Burial.deceased_died,
            Plot.id,
            Plot.code,
            Section.id,
            Section.name,
        )
        .join(Plot, Plot.id == Burial.plot_id)
        .outerjoin(Section, Section.id == Plot.section_id)
        .where(*_shown(tenant, cemetery), *(_word_match(key, w) for w in words))
        .order_by(key, Burial.deceased_died, Burial.id)
        .limit(_inline(limit, Integer))
    )


def search(tenant: Tenant, cemetery: Cemetery, name: Any, *, limit: int = DEFAULT_LIMIT) -> Found:
    """The burials of ``cemetery`` the public may find under ``name``, in
    name order, at most ``limit`` (``Found.more``: there were more). 422
    (field ``name``) for fewer than two letters; see the module's docstring."""
    if cemetery.tenant_id != tenant.id:
        raise ValueError("the cemetery belongs to another tenant")
    words = query_words(name)
    limit = max(1, min(int(limit), 500))
    rows: list[Any] = list(db.session.execute(hits_query(tenant, cemetery, words, limit + 1)))
    found = Found(
        GraveHit(
            name=dead,
            born=born,
            died=died,
            cemetery=cemetery.name,
            cemetery_id=cemetery.id,
            section=section_name,
            section_id=section_id,
            plot_code=plot_code,
            plot_id=plot_id,
        )
        for _id, dead, born, died, plot_id, plot_code, section_id, section_name in rows[:limit]
    )
    found.more = len(rows) > limit
    return found


def is_public_plot(tenant: Tenant, plot: Plot) -> bool:
    """Whether the search would show a burial on ``plot`` (then its place on
    the section map may be shown to anyone)."""
    cemetery = db.session.get(Cemetery, plot.cemetery_id)
    if cemetery is None or plot.tenant_id != tenant.id:
        return False
    return (
        db.session.scalar(
            select(Burial.id).where(*_shown(tenant, cemetery), Burial.plot_id == plot.id).limit(1)
        )
        is not None
    )
