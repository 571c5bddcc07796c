"""The tree of parts (booking.resources.tree): leaf units, related
resources, ancestors, descendants, depth, the ordered list of the screens,
and the guard that freezes the tree while bookings are to come."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.resources import tree

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def big_hall(make_resource):
    """Dorfgemeinschaftshaus → Saal A (→ Bühne, Parkett), Saal B; and a
    Mehrzweckraum alone."""
    hall = make_resource("Dorfgemeinschaftshaus")
    b = make_resource("Saal B", "room", parent_id=hall.id)
    a = make_resource("Saal A", "room", parent_id=hall.id)
    stage = make_resource("Parkett", "room", parent_id=a.id)
    floor = make_resource("Bühne", "room", parent_id=a.id)
    alone = make_resource("Mehrzweckraum", "room")
    return hall, a, b, stage, floor, alone


def test_leaf_units_of_a_hall_with_halves(hall_with_halves, make_resource):
    hall, a, b = hall_with_halves
    assert tree.leaf_unit_ids(hall) == [a.id, b.id]
    assert tree.leaf_unit_ids(a) == [a.id]
    assert tree.leaf_unit_ids(b) == [b.id]
    alone = make_resource("Mehrzweckraum", "room")
    assert tree.leaf_unit_ids(alone) == [alone.id]


def test_leaf_units_go_down_every_level(big_hall):
    hall, a, b, stage, floor, _alone = big_hall
    assert tree.leaf_unit_ids(hall) == sorted([b.id, stage.id, floor.id])
    assert tree.leaf_unit_ids(a) == sorted([stage.id, floor.id])


def test_resources_sharing_units(big_hall):
    hall, a, b, stage, floor, alone = big_hall
    assert tree.related_resource_ids(a) == {hall.id, a.id, stage.id, floor.id}
    assert tree.related_resource_ids(stage) == {hall.id, a.id, stage.id}
    assert tree.related_resource_ids(hall) == {hall.id, a.id, b.id, stage.id, floor.id}
    assert tree.related_resource_ids(alone) == {alone.id}


def test_families_of_many_resources_cost_one_query(tenant, big_hall):
    hall, _a, b, stage, _floor, alone = big_hall
    ids = [hall.id, b.id, stage.id, alone.id]
    tree.load(tenant.id)  # the transaction is open (SQLite's BEGIN is a statement too)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = tree.families(tenant.id, ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert found[b.id] == tree.Family([b.id], {hall.id, b.id})
    assert found[alone.id].units == [alone.id]
    assert found[hall.id] == tree.family(hall)


def test_ancestors_descendants_root_and_depth(big_hall):
    hall, a, b, stage, floor, alone = big_hall
    assert tree.ancestors(stage) == [a, hall]
    assert tree.ancestors(hall) == []
    assert set(tree.descendants(hall)) == {a, b, stage, floor}
    assert tree.descendants(alone) == []
    assert tree.root_of(stage) is hall and tree.root_of(alone) is alone
    assert [tree.depth(r) for r in (hall, a, stage, alone)] == [0, 1, 2, 0]


def test_the_screens_list_each_resource_after_its_parent_by_name(tenant, big_hall):
    hall, a, b, stage, floor, alone = big_hall
    assert tree.ordered(tenant) == [hall, a, floor, stage, b, alone]


def test_with_parts_adds_every_level_below(tenant, big_hall):
    hall, a, b, stage, floor, alone = big_hall
    # By name: Bühne, Dorfgemeinschaftshaus, Mehrzweckraum, Parkett, Saal A, Saal B.
    assert tree.with_parts(tenant, [a.id]) == [floor, stage, a]
    assert tree.with_parts(tenant, [a.id, alone.id, hall.id]) == [floor, hall, alone, stage, a, b]
    assert tree.with_parts(tenant, []) == []


def test_a_cycle_in_the_id_maps_ends_the_walk():
    looped = tree.Tree([(1, 3), (2, 1), (3, 2), (4, None)])
    assert looped.ancestors(1) == [3, 2]
    assert sorted(looped.descendants(1)) == [2, 3]
    assert looped.family(4) == tree.Family([4], {4})


def test_the_engine_guards_the_tree_of_parts(monkeypatch):
    from booking.reservations import engine

    assert engine.has_claims_ending_after in tree._guards
    monkeypatch.setattr(tree, "_guards", [])
    with pytest.raises(RuntimeError):
        tree.in_use([1], NOW)
    tree.guard_structure(lambda ids, now: 2 in ids)
    assert tree.in_use([1, 2], NOW) and not tree.in_use([1], NOW)
