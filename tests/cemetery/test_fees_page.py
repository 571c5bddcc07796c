"""The fee schedule page: admins edit in euros (German comma), clerks view,
others 403, anonymous to the login, bad amounts 422 and nothing saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from cemetery import fees

URL = "/{slug}/admin/cemetery-fees/"


def url(tenant) -> str:
    return URL.format(slug=tenant.slug)


def filled(**overrides) -> dict[str, str]:
    data = {
        "right_wahlgrab_mode": "per_year_cents",
        "right_wahlgrab_amount": "45,00",
        "ext_wahlgrab": "50",
        "right_reihengrab_mode": "flat_cents",
        "right_reihengrab_amount": "1.250,50",
        "burial_coffin": "650,00",
        "burial_urn": "250",
        "chapel": "180,00",
        "saturday": "150,00",
        "admin_gravestone_permit": "60,00",
        "admin_transfer": "30.00",
    }
    data.update(overrides)
    return data


def test_admin_saves_the_schedule_in_euros(client, login, tenant, admin):
    login(admin)
    page = client.get(url(tenant))
    assert page.status_code == 200
    assert 'name="right_wahlgrab_amount"' in page.get_data(as_text=True)
    answer = client.post(url(tenant), data=filled())
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.session.expire_all()
    assert fees.schedule_of(tenant) == {
        "rights": {"wahlgrab": {"per_year_cents": 4500}, "reihengrab": {"flat_cents": 125050}},
        "extension_per_year_cents": {"wahlgrab": 5000},
        "burial_cents": {"coffin": 65000, "urn": 25000},
        "chapel_cents": 18000,
        "saturday_surcharge_cents": 15000,
        "admin_cents": {"gravestone_permit": 6000, "transfer": 3000},
    }
    assert (
        db.session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.action == "cemetery.fee_schedule")
        )
        == admin.id
    )
    # Shown again with the German comma.
    text = client.get(url(tenant)).get_data(as_text=True)
    assert 'value="1250,50"' in text and 'value="45,00"' in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("burial_coffin", "-5"),
        ("burial_coffin", "12,345"),
        ("chapel", "zehn"),
        ("right_wahlgrab_amount", ""),  # a mode without an amount
        ("right_wahlgrab_mode", "monthly"),
        ("saturday", "1.000.000,00"),
    ],
)
def test_bad_amounts_are_422_and_nothing_is_saved(client, login, tenant, admin, field, value):
    fees.set_schedule(tenant, None, {"chapel_cents": 100})
    db.session.commit()
    login(admin)
    answer = client.post(url(tenant), data=filled(**{field: value}))
    assert answer.status_code == 422
    assert "Bitte korrigieren Sie" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert fees.schedule_of(tenant) == {"chapel_cents": 100}


def test_amount_without_a_mode_is_422(client, login, tenant, admin):
    login(admin)
    answer = client.post(url(tenant), data=filled(right_wahlgrab_mode=""))
    assert answer.status_code == 422
    assert fees.schedule_of(tenant) == {}


def test_empty_form_makes_everything_free(client, login, tenant, admin):
    fees.set_schedule(tenant, None, {"chapel_cents": 100})
    db.session.commit()
    login(admin)
    assert client.post(url(tenant), data={}).status_code == 302
    db.session.expire_all()
    assert fees.schedule_of(tenant) == {}


def test_example_fills_the_form_and_saves_nothing(client, login, tenant, admin):
    login(admin)
    answer = client.post(url(tenant), data={"example": "1"})
    assert answer.status_code == 200
    assert 'value="680,00"' in answer.get_data(as_text=True)  # the example's coffin burial
    assert fees.schedule_of(tenant) == {}


def test_clerk_views_but_cannot_save(client, login, tenant, clerk):
    fees.set_schedule(tenant, None, {"chapel_cents": 18000})
    db.session.commit()
    login(clerk)
    page = client.get(url(tenant))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "180,00" in text and 'name="chapel"' not in text
    assert client.post(url(tenant), data=filled()).status_code == 403
    assert fees.schedule_of(tenant) == {"chapel_cents": 18000}


def test_others_get_403_anonymous_the_login_other_tenant_404(
    client, login, tenant, citizen, make_tenant, make_user, funeral_home
):
    anonymous = client.get(url(tenant))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for user in (citizen, funeral_home):
        login(user)
        assert client.get(url(tenant)).status_code == 403
        assert client.post(url(tenant), data=filled()).status_code == 403
        client.get("/account/logout")
    other = make_tenant("anderswo")
    foreign_admin = make_user("admin@anderswo.example", tenant=other, roles=("admin",))
    login(foreign_admin)
    assert client.get(url(tenant)).status_code == 403
    assert client.get("/gibt-es-nicht/admin/cemetery-fees/").status_code == 404
    assert fees.schedule_of(tenant) == {}
