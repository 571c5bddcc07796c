"""A municipality's own settings: name, contact, mail sender, reminders,
retention — admins only, checked, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db

GOOD = {
    "name": "Gemeinde Musterhausen",
    "contact_email": "Hallen@Musterhausen.example",
    "mail_sender_name": "Musterhausen – Hallenbuchung",
    "reminder_days": "5",
    "retention_months": "36",
}


def test_an_admin_changes_the_settings_and_it_is_audited(client, login, admin, tenant):
    login(admin)
    page = client.get(f"/{tenant.slug}/admin/settings").get_data(as_text=True)
    assert 'value="Gemeinde Musterhausen"' in page and 'name="reminder_days"' in page
    response = client.post(f"/{tenant.slug}/admin/settings", data=GOOD)
    assert response.status_code == 302
    db.session.expire_all()
    assert (tenant.contact_email, tenant.mail_sender_name) == (
        "Hallen@musterhausen.example",
        "Musterhausen – Hallenbuchung",
    )
    assert (tenant.reminder_days, tenant.retention_months) == (5, 36)
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "tenant.settings")
    ).all()
    assert entry.before["reminder_days"] == 3 and entry.after["reminder_days"] == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reminder_days": "abc"}, "Zahl"),
        ({"reminder_days": "31"}, "30"),
        ({"retention_months": "0"}, "120"),
        ({"contact_email": "keine-adresse"}, "gültige E-Mail-Adresse"),
        ({"mail_sender_name": "Zeile\r\nBcc: x@example.org"}, "Zeilenumbrüche"),
        ({"name": ""}, "Bitte füllen Sie dieses Feld aus"),
        ({"name": "x" * 201}, "Zeichen"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(client, login, admin, tenant, change, message):
    login(admin)
    response = client.post(f"/{tenant.slug}/admin/settings", data={**GOOD, **change})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert (tenant.reminder_days, tenant.contact_email) == (3, None)


def test_only_this_municipalitys_admins_see_the_settings(
    client, login, clerk, tenant, make_tenant, make_user
):
    other_admin = make_user(tenant=make_tenant("nachbarort"), roles=["admin"])
    assert client.get(f"/{tenant.slug}/admin/settings").status_code == 302
    for person in (clerk, other_admin):
        login(person)
        assert client.get(f"/{tenant.slug}/admin/settings").status_code == 403
        assert client.post(f"/{tenant.slug}/admin/settings", data=GOOD).status_code == 403
        client.post("/account/logout")
    db.session.expire_all()
    assert tenant.reminder_days == 3
