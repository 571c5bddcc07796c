"""The rules that hold for a resource: its own and those of every resource
above it. A part of a hall (the Clubraum of the Bürgerhaus) is inside the
hall: when the hall needs approval, is closed on Sundays or wants a week's
notice, so does the part, unless the part is stricter still. Booking a part
is checked against both, so a part can add rules but never drop one.

Where a value is descriptive rather than a rule (the address, the key
handover), the nearest resource that has one gives it.

``policy_of`` is what every check reads instead of the resource's own
columns; the columns stay what the admin entered for that resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.resources.models import Resource
from booking.resources.tree import ancestors


@dataclass(frozen=True)
class Policy:
    """The effective rules of one resource (see the module docstring)."""

    requires_approval: bool
    request_blocks: bool
    observe_holidays: bool
    public: bool
    min_notice_hours: int
    max_advance_days: int | None
    min_duration_min: int | None
    max_duration_min: int | None
    address: str | None
    key_handover: str | None
    # The resource and its ancestors, nearest first.
    chain: tuple[Resource, ...]

    @property
    def hours_from(self) -> tuple[Resource, ...]:
        """The resources of the chain that set opening hours, nearest first:
        a booking must lie inside the hours of each. Asked for only when
        needed (it loads their opening hours), not with every policy."""
        return tuple(r for r in self.chain if r.opening_hours)


def _known(values: list[int | None]) -> list[int]:
    return [v for v in values if v is not None]


def policy_of(resource: Resource) -> Policy:
    """The rules of ``resource`` combined with its ancestors': approval,
    holidays and blocking requests if any requires them; visible only if all
    are; the longest notice, the shortest advance window and duration limits;
    every set of opening hours. Follows the loaded ``parent`` relationships."""
    chain = [resource, *ancestors(resource)]
    min_durations = _known([r.min_duration_min for r in chain])
    max_durations = _known([r.max_duration_min for r in chain])
    advance = _known([r.max_advance_days for r in chain])
    return Policy(
        requires_approval=any(r.requires_approval for r in chain),
        request_blocks=any(r.request_blocks for r in chain),
        observe_holidays=any(r.observe_holidays for r in chain),
        public=all(r.public for r in chain),
        min_notice_hours=max(r.min_notice_hours or 0 for r in chain),
        max_advance_days=min(advance) if advance else None,
        min_duration_min=max(min_durations) if min_durations else None,
        max_duration_min=min(max_durations) if max_durations else None,
        address=next((r.address for r in chain if r.address), None),
        key_handover=next((r.key_handover for r in chain if r.key_handover), None),
        chain=tuple(chain),
    )
