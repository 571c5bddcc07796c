"""The conflict engine: which units a resource occupies, which claims stand in
the way, and writing claims so that two active ones never overlap on a unit.

Conflicts are checked on *units*, the leaf resources (``resources.tree``):
booking a hall with halves A and B claims A and B; booking half A claims A
only. Each claim covers ``[start - buffer_before, end + buffer_after)``
(half-open). The tree of parts stays frozen while claims are to come: the
engine registers ``has_claims_ending_after`` with ``guard_structure``.

Correctness on both databases, same code:

* PostgreSQL: an ``EXCLUDE USING gist`` constraint over active claims
  (migration 0002) is the guarantee. Claims are inserted inside a SAVEPOINT;
  a 23P01 violation rolls back just the savepoint and becomes ``ClaimsTaken``
  with the claims that won, re-read after the rollback (a deadlock between
  two claimers, 40P01, is treated the same way). A new booking's claims are
  written with ``ON CONFLICT DO NOTHING`` instead: a refused claim is
  counted, not raised, and the booking deleted again
  (``insert_claimed_booking``).
* SQLite: every transaction starts with ``BEGIN IMMEDIATE`` (see
  ``booking.extensions``), so ``find_conflicts`` followed by ``write_claims``
  in the same transaction cannot race another writer.

``find_conflicts`` answers for a whole series in one query. It uses the
``(unit_id, start_at)`` index with a bounded lower limit: no claim is longer
than ``MAX_CLAIM``, so a claim overlapping ``[s, e)`` starts after
``s - MAX_CLAIM`` and the query never scans a unit's whole history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from booking.core import UTCDateTime
from booking.extensions import db
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources.models import Resource
from booking.resources.tree import guard_structure, leaf_unit_ids

# The longest claim (occurrence plus buffers) the engine accepts. Longer
# bookings are refused by the service; the bound keeps overlap queries short.
MAX_CLAIM = timedelta(days=14)
EXCLUSION_VIOLATION = "23P01"
# Two writers claiming overlapping units in opposite order: PostgreSQL
# aborts one; for the loser that is a lost race like any other.
DEADLOCK_DETECTED = "40P01"
LOST_RACE = (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)


@dataclass(frozen=True)
class Hit:
    """An active claim that overlaps the requested period number ``index``."""

    index: int
    unit_id: int
    start: datetime
    end: datetime
    occurrence_id: int


class ClaimsTaken(Exception):
    """Another transaction claimed a unit first (PostgreSQL race)."""

    def __init__(self, hits: list[Hit]):
        super().__init__(f"{len(hits)} conflicting claims")
        self.hits = hits


# --- periods ---------------------------------------------------------------


def claim_period(resource: Resource, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The interval an occurrence holds: its own plus the resource's buffers."""
    return (
        start - timedelta(minutes=resource.buffer_before_min or 0),
        end + timedelta(minutes=resource.buffer_after_min or 0),
    )


# --- checking --------------------------------------------------------------


def constraint_enforced() -> bool:
    """True where the database itself refuses overlapping claims (PostgreSQL)."""
    return db.session.get_bind().dialect.name == "postgresql"


# PostgreSQL: the periods travel as two arrays, so the statement stays short
# and prepared whatever the series length. The LATERAL subquery (kept apart
# by OFFSET 0) makes the plan one index range scan on (unit_id, start_at) per
# period, bounded below by start - MAX_CLAIM, instead of reading a unit's
# whole history once and filtering it.
_PG_CONFLICTS = text(
    f"""
    SELECT DISTINCT c.unit_id, c.start_at, c.end_at, c.occurrence_id
    FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[])) AS p(s, e)
    CROSS JOIN LATERAL (
        SELECT claim.unit_id, claim.start_at, claim.end_at, claim.occurrence_id
        FROM claim
        WHERE claim.unit_id = ANY(CAST(:units AS integer[]))
          AND claim.active
          AND claim.start_at > p.s - interval '{MAX_CLAIM.days} days'
          AND claim.start_at < p.e
          AND claim.end_at > p.s
          AND NOT (claim.occurrence_id = ANY(CAST(:excluded AS integer[])))
        OFFSET 0
    ) AS c
    """
).columns(unit_id=Integer, start_at=UTCDateTime, end_at=UTCDateTime, occurrence_id=Integer)


@lru_cache(maxsize=128)
def _sqlite_conflicts(count: int, excluding: bool):
    """SQLite: the periods as a VALUES list joined to the claims, so that each
    period is one range search on (unit_id, start_at) from its lower bound."""
    values = ", ".join(f"(:lo{i}, :s{i}, :e{i})" for i in range(count))
    statement = text(
        f"""
        WITH p(lo, s, e) AS (VALUES {values})
        SELECT DISTINCT c.unit_id, c.start_at, c.end_at, c.occurrence_id
        FROM p JOIN claim AS c
          ON c.unit_id IN :units
         AND c.start_at > p.lo
         AND c.start_at < p.e
         AND c.end_at > p.s
        WHERE c.active {"AND c.occurrence_id NOT IN :excluded" if excluding else ""}
        """
    )
    binds = [bindparam("units", expanding=True)]
    if excluding:
        binds.append(bindparam("excluded", expanding=True))
    for i in range(count):
        binds.extend(bindparam(f"{name}{i}", type_=UTCDateTime) for name in ("lo", "s", "e"))
    return statement.bindparams(*binds).columns(
        unit_id=Integer, start_at=UTCDateTime, end_at=UTCDateTime, occurrence_id=Integer
    )


def find_conflicts(
    unit_ids: Sequence[int],
    periods: Sequence[tuple[datetime, datetime]],
    *,
    exclude_occurrence_ids: Iterable[int] = (),
) -> list[Hit]:
    """Active claims on ``unit_ids`` overlapping any of ``periods``, in one
    query. Each hit names the index of the period it blocks (a claim that
    blocks several periods appears once per period)."""
    if not unit_ids or not periods:
        return []
    excluded = list(exclude_occurrence_ids)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(
            _PG_CONFLICTS,
            {
                "units": list(unit_ids),
                "starts": [start for start, _end in periods],
                "ends": [end for _start, end in periods],
                "excluded": excluded,
            },
        ).all()
    else:
        rows = db.session.execute(
            _sqlite_conflicts(len(periods), bool(excluded)),
            {
                **{f"lo{i}": start - MAX_CLAIM for i, (start, _end) in enumerate(periods)},
                **{f"s{i}": start for i, (start, _end) in enumerate(periods)},
                **{f"e{i}": end for i, (_start, end) in enumerate(periods)},
                "units": list(unit_ids),
                "excluded": excluded,
            },
        ).all()
    hits = []
    for index, (start, end) in enumerate(periods):
        for unit_id, claim_start, claim_end, occurrence_id in rows:
            if claim_start < end and claim_end > start:
                hits.append(Hit(index, unit_id, claim_start, claim_end, occurrence_id))
    return hits


def claimed_periods(
    unit_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Periods of active claims on the units overlapping ``[start, end)``."""
    if not unit_ids:
        return []
    rows = db.session.execute(
        select(Claim.start_at, Claim.end_at)
        .where(
            Claim.active.is_(True),
            Claim.unit_id.in_(list(unit_ids)),
            Claim.start_at > start - MAX_CLAIM,
            Claim.start_at < end,
            Claim.end_at > start,
        )
        .order_by(Claim.start_at)
    )
    return [(row.start_at, row.end_at) for row in rows]


@guard_structure
def has_claims_ending_after(unit_ids: Iterable[int], instant: datetime) -> bool:
    """Whether any active claim on the units ends after ``instant`` (a
    booking still to come or running): then their tree must not change."""
    ids = sorted(set(unit_ids))
    if not ids:
        return False
    found = db.session.scalar(
        select(Claim.id)
        .where(Claim.active.is_(True), Claim.end_at > instant, Claim.unit_id.in_(ids))
        .limit(1)
    )
    return found is not None


# --- writing ---------------------------------------------------------------


def _lost_race(error: DBAPIError) -> bool:
    """A 23P01 exclusion violation (or a deadlock between two claimers)."""
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in LOST_RACE


@lru_cache(maxsize=16)
def _insert_booking_statement(columns: tuple[str, ...]):
    """INSERT … RETURNING for these columns, loaded straight into a persistent
    Booking: cheaper than a unit-of-work flush on the hot path of every
    booking. Built once per column set."""
    table = Booking.__table__
    values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
    return select(Booking).from_statement(insert(table).values(values).returning(*table.c))


@lru_cache(maxsize=8)
def _defaults_of(table) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """A table's Python-side defaults, read once: the scalar ones and the
    callables (called for each row)."""
    scalars, callables = {}, []
    for col in table.c:
        default = col.default
        if default is None or col.primary_key:
            continue
        if default.is_scalar:
            scalars[col.name] = default.arg
        elif default.is_callable:
            callables.append((col.name, default.arg))
    return scalars, tuple(callables)


def _column_defaults(table) -> dict[str, Any]:
    """Python-side scalar or callable defaults, as the ORM would apply them."""
    scalars, callables = _defaults_of(table)
    return {**scalars, **{name: make(None) for name, make in callables}}


def insert_booking(resource: Resource, *, now: datetime, **fields: Any) -> Booking:
    """A new booking of ``resource`` (``user_id``, ``title``, ``status`` …),
    inserted at once and returned persistent. Columns not given get their
    model defaults (or the database's), as with ``session.add``."""
    params = {
        **_column_defaults(Booking.__table__),
        "tenant_id": resource.tenant_id,
        "resource_id": resource.id,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    # None is left out (SQL NULL), so a JSON column does not store JSON null.
    params = {name: value for name, value in params.items() if value is not None}
    statement = _insert_booking_statement(tuple(sorted(params)))
    booking = db.session.scalars(statement, params).one()
    set_committed_value(booking, "resource", resource)
    return booking


def _pg_occurrences_statement():
    periods = (
        func.unnest(
            bindparam("starts", type_=ARRAY(UTCDateTime)),
            bindparam("ends", type_=ARRAY(UTCDateTime)),
        )
        .table_valued("s", "e")
        .render_derived(name="p")
    )
    rows = select(
        bindparam("tenant_id", type_=Integer),
        bindparam("booking_id", type_=Integer),
        bindparam("resource_id", type_=Integer),
        periods.c.s,
        periods.c.e,
        literal(0),
        bindparam("now", type_=UTCDateTime),
    )
    columns = ["tenant_id", "booking_id", "resource_id", "start_at", "end_at", "sequence"]
    table = Occurrence.__table__
    returning = insert(table).from_select([*columns, "updated_at"], rows).returning(*table.c)
    return select(Occurrence).from_statement(returning)


# Built once: a prepared INSERT … SELECT from two arrays, RETURNING the rows.
_PG_OCCURRENCES = _pg_occurrences_statement()


def insert_occurrences(
    booking: Booking, dates: Sequence[tuple[datetime, datetime]], now: datetime
) -> list[Occurrence]:
    """Insert the booking's dates in one statement (the booking is flushed)
    and set them as its ``occurrences``. PostgreSQL: ``INSERT … SELECT`` from
    two arrays, a short prepared statement whatever the series length."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        occurrences = list(
            session.scalars(
                _PG_OCCURRENCES,
                {
                    "tenant_id": booking.tenant_id,
                    "booking_id": booking.id,
                    "resource_id": booking.resource_id,
                    "starts": [start for start, _end in dates],
                    "ends": [end for _start, end in dates],
                    "now": now,
                },
            )
        )
    else:
        occurrences = list(
            session.scalars(
                insert(Occurrence).returning(Occurrence, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": booking.tenant_id,
                        "booking_id": booking.id,
                        "resource_id": booking.resource_id,
                        "start_at": start,
                        "end_at": end,
                        "sequence": 0,
                        "updated_at": now,
                    }
                    for start, end in dates
                ],
            )
        )
    occurrences.sort(key=lambda occ: occ.start_at)
    set_committed_value(booking, "occurrences", occurrences)
    for occ in occurrences:
        set_committed_value(occ, "booking", booking)
        set_committed_value(occ, "claims", [])
    return occurrences


_PG_CLAIMS = text(
    """
    INSERT INTO claim (tenant_id, occurrence_id, unit_id, start_at, end_at, active)
    SELECT :tenant_id, p.o, u, p.s, p.e, true
    FROM unnest(
        CAST(:occurrence_ids AS integer[]),
        CAST(:starts AS timestamptz[]),
        CAST(:ends AS timestamptz[])
    ) WITH ORDINALITY AS p(o, s, e, n)
    CROSS JOIN unnest(CAST(:units AS integer[])) AS u
    ORDER BY p.n, u
    """
)


def write_claims(
    resource: Resource, unit_ids: Sequence[int], occurrences: Sequence[Occurrence]
) -> int:
    """One active claim per (occurrence, unit); the occurrences are flushed.
    On SQLite the caller has run ``find_conflicts`` in this transaction; on
    PostgreSQL the exclusion constraint decides, and a lost race raises
    ``ClaimsTaken`` (only the savepoint is rolled back). Returns the count."""
    if not occurrences or not unit_ids:
        return 0
    periods = [claim_period(resource, occ.start_at, occ.end_at) for occ in occurrences]
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            insert(Claim),
            [
                {
                    "tenant_id": occ.tenant_id,
                    "occurrence_id": occ.id,
                    "unit_id": unit_id,
                    "start_at": start,
                    "end_at": end,
                    "active": True,
                }
                for occ, (start, end) in zip(occurrences, periods, strict=True)
                for unit_id in unit_ids
            ],
        )
    else:
        params = {
            "tenant_id": occurrences[0].tenant_id,
            "occurrence_ids": [occ.id for occ in occurrences],
            "starts": [start for start, _end in periods],
            "ends": [end for _start, end in periods],
            "units": list(unit_ids),
        }
        try:
            with session.begin_nested():
                session.execute(_PG_CLAIMS, params)
        except DBAPIError as error:
            if not _lost_race(error):
                raise
            raise ClaimsTaken(find_conflicts(unit_ids, periods)) from None
    for occ in occurrences:
        session.expire(occ, ["claims"])
    return len(occurrences) * len(unit_ids)


# The columns the statement below gives a date; the others are NULL.
_OCCURRENCE_WRITTEN = (
    "tenant_id",
    "booking_id",
    "resource_id",
    "start_at",
    "end_at",
    "sequence",
    "updated_at",
)


@lru_cache(maxsize=16)
def _pg_claimed_booking_statement(columns: tuple[str, ...]):
    """PostgreSQL: the booking, its dates and their claims in one statement
    (data-modifying CTEs), RETURNING the new ids in date order and how many
    claims were written. A claim the exclusion constraint refuses is left
    out (``ON CONFLICT DO NOTHING``: no error, so the transaction goes on)
    and shows in the count. Built once per column set of the booking."""
    _require_no_server_defaults(Booking.__table__, set(columns))
    _require_no_server_defaults(Occurrence.__table__, set(_OCCURRENCE_WRITTEN))
    return (
        text(
            f"""
        WITH b AS (
            INSERT INTO booking ({", ".join(columns)})
            VALUES ({", ".join(f":{name}" for name in columns)})
            RETURNING id, tenant_id, resource_id
        ), o AS (
            INSERT INTO occurrence ({", ".join(_OCCURRENCE_WRITTEN)})
            SELECT b.tenant_id, b.id, b.resource_id, p.s, p.e, 0, CAST(:o_now AS timestamptz)
            FROM b CROSS JOIN unnest(
                CAST(:o_starts AS timestamptz[]), CAST(:o_ends AS timestamptz[])
            ) WITH ORDINALITY AS p(s, e, n)
            ORDER BY p.n
            RETURNING id, tenant_id, start_at, end_at
        ), c AS (
            INSERT INTO claim (tenant_id, occurrence_id, unit_id, start_at, end_at, active)
            SELECT o.tenant_id, o.id, u,
                   o.start_at - CAST(:o_before AS integer) * interval '1 minute',
                   o.end_at + CAST(:o_after AS integer) * interval '1 minute',
                   true
            FROM o CROSS JOIN unnest(CAST(:o_units AS integer[])) AS u
            ORDER BY o.start_at, u
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT b.id, o.id, o.start_at, o.end_at, (SELECT count(*) FROM c)
        FROM b CROSS JOIN o ORDER BY o.start_at
        """
        )
        .bindparams(*(bindparam(name, type_=Booking.__table__.c[name].type) for name in columns))
        .columns(
            column("booking_id", Integer),
            column("occurrence_id", Integer),
            column("start_at", UTCDateTime),
            column("end_at", UTCDateTime),
            column("claimed", Integer),
        )
    )


def _require_no_server_defaults(table, written: set[str]) -> None:
    """``insert_claimed_booking`` builds its objects from the values it sent:
    a column it leaves out must be NULL in the database, not a default."""
    for col in table.c:
        if col.name not in written and not col.primary_key and col.server_default:
            raise RuntimeError(f"{table.name}.{col.name} has a server default: send it")


@lru_cache(maxsize=8)
def _attribute_columns(model) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of each column of ``model``'s mapper."""
    return tuple((attr.key, attr.columns[0].name) for attr in model.__mapper__.column_attrs)


def _persistent(model, values: dict[str, Any]):
    """An object of ``model`` as the database holds it: every column from
    ``values`` by column name (None where missing), in the session, unchanged.
    Built as the ORM builds what it loads (a new instance whose state is
    filled in, not set attribute by attribute, which would record each as a
    change only to be committed at once): a third of the CPU of
    ``model(**values)``, on every booking."""
    obj = model.__mapper__.class_manager.new_instance()
    loaded = obj.__dict__
    for key, name in _attribute_columns(model):
        value = values.get(name)
        # As UTCDateTime reads it back.
        loaded[key] = value.astimezone(UTC) if isinstance(value, datetime) else value
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def insert_claimed_booking(
    resource: Resource,
    unit_ids: Sequence[int],
    dates: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
    **fields: Any,
) -> Booking:
    """PostgreSQL, all or nothing: a new booking of ``resource`` (fields as
    for ``insert_booking``), its ``dates`` and one active claim per (date,
    unit), written by one statement — what ``insert_booking``,
    ``insert_occurrences`` and ``write_claims`` do with five. The exclusion
    constraint decides: when a claim was refused, the booking is deleted
    again (its dates and claims with it) and ``ClaimsTaken`` raised. The
    booking and its dates come back as objects built from the values sent
    (the statement returns only their ids), as the ORM would load them.

    A series runs inside a SAVEPOINT: its claims, in date order, can wait on
    a rival's that wait on its own (a deadlock, which aborts the statement),
    and that is a lost race too. A single date's claims are taken in unit
    order like everyone's, so it needs none (two round trips less)."""
    params = {
        **_column_defaults(Booking.__table__),
        "tenant_id": resource.tenant_id,
        "resource_id": resource.id,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    params = {name: value for name, value in params.items() if value is not None}
    statement = _pg_claimed_booking_statement(tuple(sorted(params)))
    session = db.session
    series = len(dates) > 1
    periods = [claim_period(resource, start, end) for start, end in dates]
    try:
        with session.begin_nested() if series else nullcontext():
            rows = session.execute(
                statement,
                {
                    **params,
                    "o_now": now,
                    "o_starts": [start for start, _end in dates],
                    "o_ends": [end for _start, end in dates],
                    "o_before": resource.buffer_before_min or 0,
                    "o_after": resource.buffer_after_min or 0,
                    "o_units": list(unit_ids),
                },
            ).all()
    except DBAPIError as error:
        if not (series and _lost_race(error)):
            raise
        raise ClaimsTaken(find_conflicts(unit_ids, periods)) from None
    booking_id, *_first, claimed = rows[0]
    if claimed < len(dates) * len(unit_ids):
        session.execute(delete(Booking.__table__).where(Booking.__table__.c.id == booking_id))
        raise ClaimsTaken(find_conflicts(unit_ids, periods))
    booking = _persistent(Booking, {**params, "id": booking_id})
    occurrences = [
        _persistent(
            Occurrence,
            {
                "id": occurrence_id,
                "tenant_id": resource.tenant_id,
                "booking_id": booking_id,
                "resource_id": resource.id,
                "start_at": start,
                "end_at": end,
                "sequence": 0,
                "updated_at": now,
            },
        )
        for _booking, occurrence_id, start, end, _claimed in rows
    ]
    set_committed_value(booking, "resource", resource)
    set_committed_value(booking, "occurrences", occurrences)
    for occ in occurrences:
        set_committed_value(occ, "booking", booking)
    return booking


def move_claims(resource: Resource, occurrence: Occurrence) -> None:
    """Give the occurrence's active claims its new period (after a move).
    PostgreSQL re-checks the constraint on UPDATE; a lost race raises
    ``ClaimsTaken`` and leaves the claims where they were."""
    start, end = claim_period(resource, occurrence.start_at, occurrence.end_at)
    statement = (
        update(Claim)
        .where(Claim.occurrence_id == occurrence.id, Claim.active.is_(True))
        .values(start_at=start, end_at=end)
    )
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        session.execute(statement)
    else:
        try:
            with session.begin_nested():
                session.execute(statement)
        except DBAPIError as error:
            if not _lost_race(error):
                raise
            units = leaf_unit_ids(resource)
            raise ClaimsTaken(
                find_conflicts(units, [(start, end)], exclude_occurrence_ids=[occurrence.id])
            ) from None
    session.expire(occurrence, ["claims"])


def release_claims(occurrences: Iterable[Occurrence]) -> None:
    """Deactivate the occurrences' claims (cancel, reject, expire)."""
    occurrences = list(occurrences)
    ids = [occ.id for occ in occurrences]
    if not ids:
        return
    db.session.execute(
        update(Claim)
        .where(Claim.occurrence_id.in_(ids), Claim.active.is_(True))
        .values(active=False)
    )
    for occ in occurrences:
        db.session.expire(occ, ["claims"])
