"""The cemetery fee schedule: strict validation, each fee, invoices per case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import ValidationFailed
from booking.extensions import db
from booking.fees import invoices
from booking.fees.models import Invoice
from cemetery import fees
from cemetery.models import Contact
from tests.cemetery.conftest import grave_type_of

NOW = datetime(2027, 3, 1, 10, tzinfo=UTC)

SCHEDULE = {
    "rights": {"wahlgrab": {"per_year_cents": 4500}, "reihengrab": {"flat_cents": 90000}},
    "extension_per_year_cents": {"wahlgrab": 5000},
    "burial_cents": {"coffin": 65000, "urn": 25000},
    "chapel_cents": 18000,
    "saturday_surcharge_cents": 15000,
    "admin_cents": {"gravestone_permit": 6000, "transfer": 3000},
}


@pytest.fixture
def schedule(tenant, admin):
    fees.set_schedule(tenant, admin, SCHEDULE, NOW)
    db.session.commit()
    return SCHEDULE


def test_empty_schedule_makes_everything_free(tenant):
    assert fees.schedule_of(tenant) == {}
    wahl = grave_type_of(tenant, "wahlgrab")
    assert fees.right_fee(tenant, wahl, 30).amount_cents == 0
    assert fees.extension_fee(tenant, wahl, 3).amount_cents == 0
    assert fees.burial_fee(tenant, kind="coffin", chapel=True, saturday=True).amount_cents == 0
    assert fees.admin_fee(tenant, "transfer").amount_cents == 0
    assert fees.bill(tenant, fees.admin_fee(tenant, "transfer"), contact=None, now=NOW) is None


def test_set_schedule_round_trips_and_is_audited(tenant, admin, schedule):
    assert fees.schedule_of(tenant) == SCHEDULE
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cemetery.fee_schedule")
    ).one()
    assert entry.actor_id == admin.id
    assert entry.after == SCHEDULE


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"unknown": 1}, "unknown"),
        ({"chapel_cents": -1}, "chapel_cents"),
        ({"chapel_cents": 12.5}, "chapel_cents"),
        ({"chapel_cents": "100"}, "chapel_cents"),
        ({"chapel_cents": True}, "chapel_cents"),
        ({"chapel_cents": 10**9}, "chapel_cents"),
        ({"rights": {"palastgrab": {"flat_cents": 1}}}, "rights.palastgrab"),
        ({"rights": {"wahlgrab": {"per_year_cents": -5}}}, "rights.wahlgrab.per_year_cents"),
        ({"rights": {"wahlgrab": {"yearly": 5}}}, "rights.wahlgrab.yearly"),
        ({"rights": {"wahlgrab": {}}}, "rights.wahlgrab"),
        (
            {"rights": {"wahlgrab": {"per_year_cents": 5, "flat_cents": 5}}},
            "rights.wahlgrab",
        ),
        ({"rights": []}, "rights"),
        ({"extension_per_year_cents": {"palastgrab": 1}}, "extension_per_year_cents.palastgrab"),
        ({"burial_cents": {"sea": 1}}, "burial_cents.sea"),
        ({"burial_cents": {"urn": 1.5}}, "burial_cents.urn"),
        ({"admin_cents": {"parking": 1}}, "admin_cents.parking"),
    ],
)
def test_bad_schedule_is_refused_naming_the_field(tenant, admin, schedule, document, field):
    with pytest.raises(ValidationFailed) as error:
        fees.set_schedule(tenant, admin, document, NOW)
    assert field in error.value.fields
    db.session.rollback()
    assert fees.schedule_of(tenant) == SCHEDULE


def test_schedule_must_be_an_object(tenant, admin):
    with pytest.raises(ValidationFailed) as error:
        fees.set_schedule(tenant, admin, ["x"], NOW)
    assert "schedule" in error.value.fields


def test_grave_types_of_another_tenant_are_unknown(tenant, make_tenant, admin):
    other = make_tenant("anderswo")
    fees.set_schedule(other, None, {"rights": {"wahlgrab": {"flat_cents": 1}}}, NOW)
    with pytest.raises(ValidationFailed):
        fees.set_schedule(tenant, admin, {"rights": {"nur_hier": {"flat_cents": 1}}}, NOW)


def test_right_fee_per_year_and_flat(tenant, schedule):
    wahl = fees.right_fee(tenant, grave_type_of(tenant, "wahlgrab"), 30)
    assert wahl.amount_cents == 30 * 4500
    assert [item.label("de") for item in wahl.items] == [
        "Nutzungsrecht Wahlgrab: 30 Jahre à 45,00\xa0€"
    ]
    reihe = fees.right_fee(tenant, grave_type_of(tenant, "reihengrab"), 25)
    assert reihe.amount_cents == 90000
    assert reihe.items[0].label("de") == "Nutzungsrecht Reihengrab (pauschal)"
    # A grave type the schedule does not name costs nothing.
    assert fees.right_fee(tenant, grave_type_of(tenant, "baumgrab"), 20).amount_cents == 0


def test_extension_fee_per_year(tenant, schedule):
    wahl = grave_type_of(tenant, "wahlgrab")
    assert fees.extension_fee(tenant, wahl, 1).amount_cents == 5000
    fee = fees.extension_fee(tenant, wahl, 7)
    assert fee.amount_cents == 7 * 5000
    assert fee.items[0].label("de") == (
        "Verlängerung des Nutzungsrechts Wahlgrab: 7 Jahre à 50,00\xa0€"
    )
    assert fees.extension_fee(tenant, wahl, 1).items[0].label("de").endswith("1 Jahr à 50,00\xa0€")


def test_extension_falls_back_to_the_rights_yearly_rate(tenant, admin):
    fees.set_schedule(tenant, admin, {"rights": {"urnenwahlgrab": {"per_year_cents": 3000}}}, NOW)
    fee = fees.extension_fee(tenant, grave_type_of(tenant, "urnenwahlgrab"), 4)
    assert fee.amount_cents == 12000


@pytest.mark.parametrize("years", [0, -1, 1.5, "2", True])
def test_whole_years_only(tenant, schedule, years):
    with pytest.raises(ValidationFailed) as error:
        fees.extension_fee(tenant, grave_type_of(tenant, "wahlgrab"), years)
    assert "years" in error.value.fields


def test_burial_fee_items(tenant, schedule):
    fee = fees.burial_fee(tenant, kind="coffin", chapel=True, saturday=True)
    assert fee.amount_cents == 65000 + 18000 + 15000
    assert [item.label("de") for item in fee.items] == [
        "Bestattung (Sarg)",
        "Benutzung der Trauerhalle",
        "Zuschlag für eine Bestattung am Samstag",
    ]
    urn = fees.burial_fee(tenant, kind="urn", chapel=False, saturday=False)
    assert urn.amount_cents == 25000
    assert len(urn.items) == 1
    with pytest.raises(ValidationFailed):
        fees.burial_fee(tenant, kind="sea", chapel=False, saturday=False)


def test_admin_fees(tenant, schedule):
    assert fees.admin_fee(tenant, "gravestone_permit").amount_cents == 6000
    assert fees.admin_fee(tenant, "transfer").amount_cents == 3000
    with pytest.raises(ValueError):
        fees.admin_fee(tenant, "parking")


def test_bill_issues_an_invoice_without_a_booking(tenant, schedule, citizen):
    contact = Contact(
        tenant_id=tenant.id,
        name="Erika Muster",
        street="Lindenweg 4",
        postcode="12345",
        city="Musterhausen",
        user_id=citizen.id,
    )
    db.session.add(contact)
    db.session.flush()
    fee = fees.extension_fee(tenant, grave_type_of(tenant, "wahlgrab"), 3)
    invoice = fees.bill(tenant, fee, contact=contact, now=NOW)
    assert invoice.subject == "cemetery"
    assert invoice.booking_id is None
    assert invoice.recipient_name == "Erika Muster"
    assert invoice.recipient_address == "Lindenweg 4\n12345 Musterhausen"
    assert invoice.user_id == citizen.id
    assert invoice.total_cents == 15000
    assert invoice.items == [{"label": fee.items[0].label("de"), "amount_cents": 15000}]
    assert invoice.payment_reference == f"{invoice.number} Friedhof"
    assert invoice.status == "open"
    assert (invoice.due_date - invoice.issued_on).days == tenant.payment_due_days


def test_bill_without_contact_uses_the_name_given(tenant, schedule, citizen):
    fee = fees.admin_fee(tenant, "gravestone_permit")
    invoice = fees.bill(
        tenant, fee, contact=None, user_id=citizen.id, recipient_name="Steinmetz Kurz", now=NOW
    )
    assert invoice.recipient_name == "Steinmetz Kurz"
    assert invoice.recipient_address is None
    assert invoice.user_id == citizen.id


def test_case_invoices_share_the_number_sequence(tenant, schedule):
    first = invoices.issue_case_invoice(
        tenant,
        fees.admin_fee(tenant, "transfer"),
        recipient_name="A",
        recipient_address=None,
        user_id=None,
        now=NOW,
    )
    _sequence, number = invoices.next_number(tenant, 2027)  # as a booking's invoice takes one
    second = invoices.issue_case_invoice(
        tenant,
        fees.admin_fee(tenant, "transfer"),
        recipient_name="B",
        recipient_address=None,
        user_id=None,
        now=NOW,
    )
    assert first.number == "2027-00001"
    assert number == "2027-00002"
    assert second.number == "2027-00003"
    assert db.session.scalar(select(Invoice.sequence).where(Invoice.id == second.id)) == 3


def test_example_schedule_is_valid_and_loads(tenant, admin):
    schedule = fees.load_example(tenant, admin, NOW)
    assert schedule["burial_cents"]["coffin"] > 0
    assert fees.schedule_of(tenant) == fees.example_schedule()
