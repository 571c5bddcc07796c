"""fees.service: editing fee rules and cancellation policies (admins,
audited), the customer category a person may choose, and a clerk's
correction of a booking's category (the fee follows)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.audit.models import AuditEntry
from booking.core import Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees import service as fees
from booking.reservations import service as bookings
from tests.fees.helpers import span

RULES = [
    {"category": "resident", "unit": "hour", "amount_cents": 1500},
    {"category": "external", "unit": "hour", "amount_cents": 2500, "cleaning_cents": 1000},
]


def entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus")


def test_set_fee_rules_replaces_the_list_and_is_audited(tenant, admin, hall):
    fees.set_fee_rules(tenant, admin, hall, RULES, utcnow())
    fees.set_fee_rules(tenant, admin, hall, RULES[:1], utcnow())
    db.session.commit()
    assert [r.category for r in fees.rules_of(hall)] == ["resident"]
    first, second = entries("resource.fee_rules")
    assert first.before == {"items": None}
    assert len(first.after["items"]) == 2
    assert second.before == first.after
    assert second.after["items"] == [fees.rules_of(hall)[0].to_dict()]
    assert second.actor_id == admin.id


def test_set_fee_rules_refuses_bad_items_unchanged(tenant, admin, hall):
    fees.set_fee_rules(tenant, admin, hall, RULES)
    with pytest.raises(ValidationFailed) as refused:
        fees.set_fee_rules(tenant, admin, hall, [RULES[0], {"category": "x", "unit": "hour"}])
    assert {"items[1].category", "items[1].amount_cents"} <= set(refused.value.fields)
    assert hall.fee_rules == [fees.parse_rules(RULES)[i].to_dict() for i in range(2)]
    assert len(entries("resource.fee_rules")) == 1


def test_only_admins_edit(tenant, clerk, hall):
    with pytest.raises(Forbidden):
        fees.set_fee_rules(tenant, clerk, hall, RULES)
    with pytest.raises(Forbidden):
        fees.set_cancellation_policy(tenant, clerk, hall, [])
    assert hall.fee_rules is None and entries("resource.fee_rules") == []


def test_another_municipality_s_resource_is_not_found(make_tenant, make_user, hall):
    other = make_tenant("nachbarort")
    their_admin = make_user(tenant=other, roles=("admin",))
    with pytest.raises(NotFound):
        fees.set_fee_rules(other, their_admin, hall, RULES)
    with pytest.raises(NotFound):
        fees.set_cancellation_policy(other, their_admin, hall, [])


def test_a_part_inherits_until_it_has_rules_of_its_own(tenant, admin, hall_with_halves):
    whole, a, _b = hall_with_halves
    fees.set_fee_rules(tenant, admin, whole, RULES)
    rules, source = fees.effective_rules(a)
    assert source is whole and len(rules) == 2
    fees.set_fee_rules(tenant, admin, a, [])  # its own: free of charge
    rules, source = fees.effective_rules(a)
    assert source is a and rules == ()
    assert fees.rules_of(a) == ()


def test_set_cancellation_policy(tenant, admin, hall):
    bands = [{"days_before": 14, "percent": 0}, {"days_before": 3, "percent": 50}]
    fees.set_cancellation_policy(tenant, admin, hall, bands)
    assert fees.cancellation_policy_of(hall).percent(5) == 50
    (entry,) = entries("resource.cancellation_policy")
    assert entry.before == {"cancellation": None}
    assert entry.after == {"cancellation": bands}
    with pytest.raises(ValidationFailed) as refused:
        fees.set_cancellation_policy(tenant, admin, hall, [{"days_before": 3, "percent": 150}])
    assert "cancellation[0].percent" in refused.value.fields
    assert hall.cancellation_policy == bands


# --- categories -----------------------------------------------------------------------


def test_applicants_choose_local_club_only_for_a_local_club(tenant, citizen, clerk):
    club = accounts.create_organisation(tenant, citizen, name="TSV")
    firm = accounts.create_organisation(tenant, citizen, name="Firma", kind="company")
    assert fees.allowed_categories(tenant, citizen, None) == ("resident", "external", "commercial")
    assert "local_club" in fees.allowed_categories(tenant, citizen, club)
    assert "local_club" not in fees.allowed_categories(tenant, citizen, firm)
    assert fees.allowed_categories(tenant, clerk, None) == fees.CATEGORIES
    assert fees.default_category(None) == "resident"
    assert fees.default_category(club) == "local_club"
    assert fees.default_category(firm) == "commercial"
    with pytest.raises(ValidationFailed) as refused:
        fees.checked_category(tenant, citizen, None, "local_club")
    assert "category" in refused.value.fields


def test_clerk_corrects_the_category_and_the_fee_follows(tenant, admin, clerk, citizen, hall, day):
    fees.set_fee_rules(tenant, admin, hall, RULES)
    start, end = span(day, "18:00", "20:00")
    booking = bookings.create_booking(tenant, citizen, hall, start, end, "Feier").booking
    assert fees.booking_fee(tenant, booking).amount_cents == 3000
    fee = fees.change_category(tenant, clerk, booking, "external", utcnow())
    assert booking.customer_category == "external"
    assert fee.amount_cents == 2 * 2500 + 1000 == fees.booking_fee(tenant, booking).amount_cents
    (entry,) = entries("booking.category")
    assert entry.before == {"category": "resident", "fee_cents": 3000}
    assert entry.after == {"category": "external", "fee_cents": 6000}
    assert entry.actor_id == clerk.id


def test_change_category_refusals_change_nothing(tenant, admin, citizen, clerk, hall, day):
    fees.set_fee_rules(tenant, admin, hall, RULES)
    start, end = span(day, "18:00", "20:00")
    booking = bookings.create_booking(tenant, citizen, hall, start, end, "Feier").booking
    with pytest.raises(Forbidden):
        fees.change_category(tenant, citizen, booking, "external")
    with pytest.raises(ValidationFailed):  # no tariff for commercial
        fees.change_category(tenant, clerk, booking, "commercial")
    with pytest.raises(ValidationFailed):
        fees.change_category(tenant, clerk, booking, "vip")
    assert booking.customer_category == "resident"
    assert entries("booking.category") == []
