"""The admin's "Gebühren" page of a hall: euros typed with a comma become
cents, faulty amounts are refused clearly and nothing is saved, the example
schedule fills the form without saving, a part shows that it inherits."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees import service as fees
from booking.fees.forms import parse_euros
from booking.fees.rules import CATEGORIES
from booking.fees.schedule import load_schedule


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(tenant, resource) -> str:
    return f"/{tenant.slug}/admin/resources/{resource.id}/fees"


def empty_form() -> dict[str, str]:
    data = {}
    for category in CATEGORIES:
        data[f"{category}_unit"] = ""
        for name in ("amount", "cleaning", "deposit", "minimum", "surcharge"):
            data[f"{category}_{name}"] = ""
    return data


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus")


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12,5", 1250),
        ("12", 1200),
        ("1.250,00", 125000),
        ("12.50", 1250),
        (" 7,05 € ", 705),
        ("0", 0),
    ],
)
def test_euros_become_cents(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["12,505", "-5", "-0,50", "zwölf", "12,", "1,2,3", "100000,01"])
def test_bad_amounts_are_refused(typed):
    with pytest.raises(ValueError):
        parse_euros(typed)


def test_admin_saves_rules_and_bands(client, login, tenant, admin, hall):
    login(admin)
    assert client.get(url(tenant, hall)).status_code == 200
    data = empty_form() | {
        "resident_unit": "hour",
        "resident_amount": "12,50",
        "resident_cleaning": "30",
        "resident_surcharge": "20",
        "local_club_unit": "hour",
        "local_club_amount": "0",
        "local_club_free": "y",
        "band0_days": "14",
        "band0_percent": "0",
        "band1_days": "3",
        "band1_percent": "50",
    }
    response = client.post(url(tenant, hall), data=data)
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    resident, club = fees.rules_of(hall)
    assert (resident.category, resident.unit, resident.amount_cents) == ("resident", "hour", 1250)
    assert resident.cleaning_cents == 3000 and resident.weekend_surcharge_percent == 20
    assert club.free and club.category == "local_club"
    assert fees.cancellation_policy_of(hall).percent(5) == 50
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"resource.fee_rules", "resource.cancellation_policy"} <= actions
    page = page_text(client.get(url(tenant, hall)))
    assert 'value="12,50"' in page


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("resident_amount", "12,505", "zwei Stellen nach dem Komma"),
        ("resident_deposit", "-20", "nicht negativ"),
        ("resident_surcharge", "150", "Zwischen 0 und 100"),
    ],
)
def test_faulty_input_is_refused_and_nothing_saved(
    client, login, tenant, admin, hall, field, typed, message
):
    login(admin)
    data = empty_form() | {"resident_unit": "hour", "resident_amount": "10"} | {field: typed}
    response = client.post(url(tenant, hall), data=data)
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert hall.fee_rules is None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert not actions & {"resource.fee_rules", "resource.cancellation_policy"}


def test_a_rising_band_is_named_on_its_row(client, login, tenant, admin, hall):
    login(admin)
    data = empty_form() | {
        "band0_days": "3",
        "band0_percent": "50",
        "band1_days": "14",
        "band1_percent": "0",
    }
    response = client.post(url(tenant, hall), data=data)
    assert response.status_code == 422
    assert 'id="band1_days-error"' in page_text(
        response
    ) or 'id="band1_percent-error"' in page_text(response)
    db.session.expire_all()
    assert hall.fee_rules is None and hall.cancellation_policy is None


def test_example_schedule_fills_the_form_and_saves_nothing(client, login, tenant, admin, hall):
    login(admin)
    response = client.post(url(tenant, hall), data=empty_form() | {"example": "1"})
    assert response.status_code == 200
    page = page_text(response)
    assert "Noch ist nichts gespeichert" in page
    assert 'value="200,00"' in page  # a resident's day in the example hall
    db.session.expire_all()
    assert hall.fee_rules is None
    example = load_schedule().for_kind("hall")
    assert example.rules[0].amount_cents == 20000


def test_a_part_shows_the_hall_s_rules_as_inherited(
    client, login, tenant, admin, hall, make_resource
):
    fees.set_fee_rules(
        tenant, admin, hall, [{"category": "resident", "unit": "day", "amount_cents": 9900}]
    )
    db.session.commit()
    part = make_resource("Saal A", "room", parent=hall)
    login(admin)
    page = page_text(client.get(url(tenant, part)))
    assert "Zurzeit gelten die Gebühren von „Bürgerhaus“" in page
    assert 'value="99,00"' in page


def test_a_clerk_gets_403(client, login, tenant, clerk, hall):
    login(clerk)
    assert client.get(url(tenant, hall)).status_code == 403
    response = client.post(
        url(tenant, hall), data=empty_form() | {"resident_unit": "hour", "resident_amount": "1"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert hall.fee_rules is None


def test_another_municipality_s_admin_gets_404(client, login, make_tenant, make_user, hall):
    other = make_tenant("nachbarort")
    their_admin = make_user(tenant=other, roles=("admin",))
    login(their_admin)
    assert client.get(f"/{other.slug}/admin/resources/{hall.id}/fees").status_code == 404
    response = client.post(
        f"/{other.slug}/admin/resources/{hall.id}/fees",
        data=empty_form() | {"resident_unit": "hour", "resident_amount": "1"},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert hall.fee_rules is None


def test_the_hall_admin_page_links_to_the_fees(client, login, tenant, admin, hall):
    login(admin)
    page = page_text(client.get(f"/{tenant.slug}/admin/resources/{hall.id}"))
    assert f'href="/{tenant.slug}/admin/resources/{hall.id}/fees"' in page


def test_a_part_drops_its_own_rules_to_inherit_again(
    client, login, tenant, admin, hall, make_resource
):
    part = make_resource("Saal A", "room", parent=hall)
    fees.set_fee_rules(
        tenant, admin, hall, [{"category": "resident", "unit": "day", "amount_cents": 9900}]
    )
    fees.set_fee_rules(
        tenant, admin, part, [{"category": "resident", "unit": "hour", "amount_cents": 500}]
    )
    db.session.commit()
    login(admin)
    assert "Eigene Gebühren löschen" in page_text(client.get(url(tenant, part)))
    response = client.post(url(tenant, part), data={"inherit": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert part.fee_rules is None and part.cancellation_policy is None
    assert fees.rules_of(part)[0].amount_cents == 9900
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "resource.fee_rules")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.object_id == part.id and entry.after == {"items": None, "cancellation": None}


def test_a_hall_on_its_own_cannot_inherit(client, login, tenant, admin, hall):
    fees.set_fee_rules(
        tenant, admin, hall, [{"category": "resident", "unit": "day", "amount_cents": 9900}]
    )
    db.session.commit()
    login(admin)
    assert "Eigene Gebühren löschen" not in page_text(client.get(url(tenant, hall)))
    assert client.post(url(tenant, hall), data={"inherit": "1"}).status_code == 400
    db.session.expire_all()
    assert hall.fee_rules is not None
