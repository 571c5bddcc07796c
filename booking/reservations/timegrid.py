"""The layout of a time grid (a week people can see at a glance): days as
columns, hours as rows, each booking or closure a block sized by its
duration; the parts of a hall side by side within a day. Pure: no database,
no request; the views turn bookings, claims and closures into ``Item``s and
the template ``macros/timegrid.html`` draws the ``Grid``.

How it is drawn — a CSS grid, positions computed here. Each day column is a
grid of ``SLOT_MINUTES`` rows and ``lanes × tracks`` columns; a block gets
its row start and span and its column start and span as classes
(``tg-r12 tg-h8 tg-c1 tg-w2``, defined in ``static/css/timegrid.css``),
because the Content-Security-Policy forbids inline styles. Absolute
positioning with percentages would need classes for every percentage too;
grid rows also keep the blocks in the flow, so a block's text never
overflows a neighbour and the print layout needs no arithmetic.

Rows are wall-clock time, as printed in the hour column: 18:00 is the same
row on every day. On the two DST days an hour is missing or repeated: a block
covers the wall-clock times it shows (01:00–04:00 on the spring day spans
three hours of rows though it lasts two; on the autumn day a block in the
repeated hour shares its rows with the first one).

The visible hours are those of the opening hours and of the items of the
week (``hour_range``), not 0–24. An item crossing midnight is cut at each
local midnight: a block on either day, marked as continuing.

Lanes: the parts of a hall (its leaf units). An item covers a run of lanes
(``first_lane``..``last_lane``; a whole-hall booking covers all). Items on
the same lane that overlap in time (a closure over a booking, requests that
do not block) stand side by side in tracks, never on top of each other; an
item covering several lanes that overlaps anything on them is drawn once per
lane, so that it can share each lane's width."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
DAY_MINUTES = 24 * 60
DEFAULT_HOURS = (8, 20)  # an empty week of a hall without opening hours
MAX_LANES = 8  # the CSS defines columns for up to MAX_LANES × MAX_TRACKS
MAX_TRACKS = 6  # more items at once on one lane than this share the last track


@dataclass(frozen=True)
class Item:
    """Something to draw: ``[start, end)`` (aware instants) on the lanes
    ``first_lane``..``last_lane``. ``status`` chooses pattern and label
    ("confirmed", "requested", "held", "busy", "closed", "holiday");
    ``title`` is the text of the block (already what the audience may see),
    ``href`` makes it a link."""

    start: datetime
    end: datetime
    status: str
    title: str = ""
    first_lane: int = 0
    last_lane: int = 0
    href: str | None = None
    whole_day: bool = False
    detail: str = ""
    key: Any = None


@dataclass(frozen=True)
class Block:
    """An item's piece on one day, placed: grid ``row`` (1-based) and
    ``rows`` (span) in slots; ``col`` (1-based) and ``cols`` (span) in the
    day's ``lanes × tracks`` columns."""

    item: Item
    day: date
    start: datetime
    end: datetime
    row: int
    rows: int
    col: int
    cols: int
    from_before: bool  # began on an earlier day (or before the visible hours)
    goes_on: bool  # ends on a later day (or after the visible hours)

    @property
    def classes(self) -> str:
        return f"tg-r{self.row} tg-h{self.rows} tg-c{self.col} tg-w{self.cols}"


@dataclass(frozen=True)
class Hour:
    """A label of the hour column: the hour (0–23) and its grid row."""

    hour: int
    row: int


@dataclass
class Day:
    day: date
    tracks: int  # columns per lane on this day
    blocks: list[Block] = field(default_factory=list)
    lane_count: int = 1

    @property
    def columns(self) -> int:
        return self.lane_count * self.tracks


@dataclass
class Grid:
    days: list[Day]
    lanes: list[str]
    first_hour: int
    last_hour: int  # exclusive; 24 = midnight at the end of the day
    hours: list[Hour]

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * SLOTS_PER_HOUR

    @property
    def empty(self) -> bool:
        return not any(d.blocks for d in self.days)


# --- local wall clock ---------------------------------------------------------


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of ``day`` as an aware instant."""
    return datetime.combine(day, time(), tzinfo=tz)


def wall_minutes(instant: datetime, day: date, tz: ZoneInfo) -> int:
    """Minutes after local midnight of ``day`` on the wall clock (an instant
    on a later day: 1440, one on an earlier day: 0)."""
    local = instant.astimezone(tz)
    if local.date() > day:
        return DAY_MINUTES
    if local.date() < day:
        return 0
    return local.hour * 60 + local.minute


def split_days(
    start: datetime, end: datetime, days: Sequence[date], tz: ZoneInfo
) -> list[tuple[date, datetime, datetime]]:
    """``[start, end)`` cut at each local midnight: ``(day, start, end)`` for
    every one of ``days`` it touches."""
    pieces = []
    for day in days:
        lo, hi = midnight(day, tz), midnight(day + timedelta(days=1), tz)
        if start < hi and end > lo:
            pieces.append((day, max(start, lo), min(end, hi)))
    return pieces


def hour_range(
    spans: Iterable[tuple[int, int]], default: tuple[int, int] = DEFAULT_HOURS
) -> tuple[int, int]:
    """The whole hours covering every wall-clock span ``(from_min, to_min)``
    of a day (opening hours, pieces of items). Nothing at all: ``default``."""
    spans = [(lo, hi) for lo, hi in spans if hi > lo]
    if not spans:
        return default
    first = min(lo for lo, _ in spans) // 60
    last = ceil(max(hi for _, hi in spans) / 60)
    return max(0, first), min(24, max(last, first + 1))


# --- layout -------------------------------------------------------------------


@dataclass
class _Piece:
    item: Item
    day: date
    start: datetime
    end: datetime
    lo: int  # wall-clock minutes into the day
    hi: int
    first_lane: int
    last_lane: int
    track: int = 0
    tracks: int = 1


def _overlap(a: _Piece, b: _Piece) -> bool:
    return a.lo < b.hi and b.lo < a.hi


def _shares_lane(a: _Piece, b: _Piece) -> bool:
    return a.first_lane <= b.last_lane and b.first_lane <= a.last_lane


def _assign_tracks(pieces: list[_Piece]) -> None:
    """Side by side: within a cluster of pieces that overlap one another
    (directly or through others), each piece gets the lowest free track;
    all of the cluster share its number of tracks."""
    pieces.sort(key=lambda p: (p.lo, -p.hi, p.item.status != "closed"))
    cluster: list[_Piece] = []
    cluster_end = -1

    def close() -> None:
        count = max((p.track for p in cluster), default=0) + 1
        for p in cluster:
            p.tracks = count

    for piece in pieces:
        if cluster and piece.lo >= cluster_end:
            close()
            cluster = []
        taken = {p.track for p in cluster if p.hi > piece.lo}
        piece.track = next(t for t in range(len(cluster) + 1) if t not in taken)
        cluster.append(piece)
        cluster_end = max(cluster_end, piece.hi)
    if cluster:
        close()


def layout(
    days: Sequence[date],
    tz: ZoneInfo,
    items: Iterable[Item],
    *,
    lanes: Sequence[str] = ("",),
    hours: tuple[int, int] | None = None,
    opening: Iterable[tuple[int, int]] = (),
) -> Grid:
    """The grid of ``items`` over the local ``days`` in ``tz``. The visible
    hours: ``hours`` if given, else those covering ``opening`` (wall-clock
    minute spans) and every item (``hour_range``)."""
    lane_count = max(1, len(lanes))
    pieces: list[_Piece] = []
    for item in items:
        first = min(max(item.first_lane, 0), lane_count - 1)
        last = min(max(item.last_lane, first), lane_count - 1)
        for day, start, end in split_days(item.start, item.end, days, tz):
            lo = wall_minutes(start, day, tz)
            hi = wall_minutes(end, day, tz)
            if hi <= lo:  # the repeated hour of the autumn DST day, or a sliver
                hi = min(DAY_MINUTES, lo + SLOT_MINUTES)
                lo = hi - SLOT_MINUTES
            pieces.append(_Piece(item, day, start, end, lo, hi, first, last))
    whole_day = [p for p in pieces if p.item.whole_day]
    if hours is None:
        hours = hour_range([*opening, *((p.lo, p.hi) for p in pieces if not p.item.whole_day)])
    first_hour, last_hour = hours
    range_lo, range_hi = first_hour * 60, last_hour * 60
    for p in whole_day:  # a holiday or an all-day closure fills the visible hours
        p.lo, p.hi = max(p.lo, range_lo), min(p.hi, range_hi)

    grid_days = []
    for day in days:
        todays = [p for p in pieces if p.day == day and p.hi > range_lo and p.lo < range_hi]
        # A piece over several lanes that overlaps anything on them is drawn
        # once per lane; otherwise it spans the lanes' width.
        single: list[_Piece] = []
        spanning: list[_Piece] = []
        for p in todays:
            if p.first_lane == p.last_lane:
                single.append(p)
                continue
            clash = any(q is not p and _overlap(p, q) and _shares_lane(p, q) for q in todays)
            if clash:
                single.extend(
                    _Piece(p.item, p.day, p.start, p.end, p.lo, p.hi, lane, lane)
                    for lane in range(p.first_lane, p.last_lane + 1)
                )
            else:
                spanning.append(p)
        for lane in range(lane_count):
            _assign_tracks([p for p in single if p.first_lane == lane])
        tracks = min(MAX_TRACKS, max((p.tracks for p in single), default=1))
        blocks = [
            _block(p, tracks, range_lo, range_hi) for p in sorted(spanning + single, key=_order)
        ]
        grid_days.append(Day(day, tracks, blocks, lane_count))
    return Grid(
        grid_days,
        list(lanes),
        first_hour,
        last_hour,
        [Hour(h, (h - first_hour) * SLOTS_PER_HOUR + 1) for h in range(first_hour, last_hour)],
    )


def _order(p: _Piece) -> tuple:
    return (p.lo, p.first_lane, p.track, p.hi)


def _block(p: _Piece, tracks: int, range_lo: int, range_hi: int) -> Block:
    lo, hi = max(p.lo, range_lo), min(p.hi, range_hi)
    row = (lo - range_lo) // SLOT_MINUTES + 1
    rows = max(1, ceil((hi - range_lo) / SLOT_MINUTES) - row + 1)
    if p.first_lane == p.last_lane:
        count = min(p.tracks, tracks)
        track = min(p.track, count - 1)
        left = track * tracks // count
        right = (track + 1) * tracks // count
        col, cols = p.first_lane * tracks + left + 1, right - left
    else:
        col, cols = p.first_lane * tracks + 1, (p.last_lane - p.first_lane + 1) * tracks
    return Block(
        item=p.item,
        day=p.day,
        start=p.start,
        end=p.end,
        row=row,
        rows=rows,
        col=col,
        cols=cols,
        from_before=p.item.start < p.start or p.lo < range_lo,
        goes_on=p.item.end > p.end or p.hi > range_hi,
    )
