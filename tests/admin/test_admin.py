"""Tenant administration: who may see which page, roles with audit, outbox, audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.accounts.models import Membership
from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.notifications.service import queue_mail

PAGES = ["/", "/roles", "/outbox", "/audit"]


def audit_actions(tenant) -> list[tuple[str, int | None, dict | None, dict | None]]:
    db.session.expire_all()
    return [
        (e.action, e.actor_id, e.before, e.after)
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == tenant.id).order_by(AuditEntry.id)
        )
    ]


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (["admin"], {"/", "/roles", "/outbox", "/audit"}),
        (["clerk"], {"/", "/audit"}),
        (["caretaker"], set()),
        (["funeral_home"], set()),
        ([], set()),
    ],
)
def test_who_may_see_which_admin_page(client, login, make_user, tenant, roles, allowed):
    login(make_user(tenant=tenant, roles=roles))
    for page in PAGES:
        status = client.get(f"/{tenant.slug}/admin{page}").status_code
        assert status == (200 if page in allowed else 403), (page, status)


def test_admin_pages_need_login(client, tenant):
    for page in PAGES:
        response = client.get(f"/{tenant.slug}/admin{page}")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/login")


def test_an_admin_of_another_tenant_gets_403(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    make_user("admin-hier@example.org", tenant=here, roles=["admin"])
    login(make_user(tenant=there, roles=["admin"]))
    for page in PAGES:
        assert client.get(f"/{here.slug}/admin{page}").status_code == 403
    response = client.post(
        f"/{here.slug}/admin/roles", data={"email": "admin-hier@example.org", "role": "clerk"}
    )
    assert response.status_code == 403
    assert db.session.scalars(select(Membership).where(Membership.tenant_id == here.id)).all()


def test_index_links_by_role(client, login, make_user, tenant):
    login(make_user(tenant=tenant, roles=["clerk"]))
    page = client.get(f"/{tenant.slug}/admin/").get_data(as_text=True)
    assert f"/{tenant.slug}/admin/audit" in page
    assert f"/{tenant.slug}/admin/roles" not in page


def test_grant_and_revoke_roles_are_audited(client, login, make_user, tenant):
    admin = make_user("admin@example.org", tenant=tenant, roles=["admin"])
    person = make_user("hans@example.org", name="Hans")
    login(admin)

    response = client.post(
        f"/{tenant.slug}/admin/roles", data={"email": "Hans@Example.org", "role": "caretaker"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.roles_in(tenant.id) == {"caretaker"}
    page = client.get(f"/{tenant.slug}/admin/roles").get_data(as_text=True)
    assert "hans@example.org" in page and "Hausmeister" in page

    membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
    response = client.post(f"/{tenant.slug}/admin/roles/{membership.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert person.roles_in(tenant.id) == set()

    assert audit_actions(tenant)[-2:] == [
        ("role.grant", admin.id, None, {"role": "caretaker"}),
        ("role.revoke", admin.id, {"role": "caretaker"}, None),
    ]
    page = client.get(f"/{tenant.slug}/admin/audit").get_data(as_text=True)
    assert "Rolle vergeben" in page and "Rolle entzogen" in page
    assert "hans@example.org" in page and "caretaker" in page


def test_bad_grants_change_nothing(client, login, make_user, tenant):
    login(make_user(tenant=tenant, roles=["admin"]))
    make_user("hans@example.org")
    before = audit_actions(tenant)
    for data, message in [
        ({"email": "niemand@example.org", "role": "clerk"}, "niemand registriert"),
        ({"email": "hans@example.org", "role": "kaiser"}, "error-summary"),
        ({"email": "", "role": "clerk"}, "error-summary"),
    ]:
        response = client.post(f"/{tenant.slug}/admin/roles", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert audit_actions(tenant) == before
    assert accounts.find_user("hans@example.org").roles_in(tenant.id) == set()


def test_the_last_admin_cannot_revoke_themselves(client, login, make_user, tenant):
    admin = make_user(tenant=tenant, roles=["admin"])
    login(admin)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == admin.id))
    response = client.post(
        f"/{tenant.slug}/admin/roles/{membership.id}/revoke", follow_redirects=True
    )
    assert "letzte Person mit Administrationsrechten" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.roles_in(tenant.id) == {"admin"}


def test_a_membership_of_another_tenant_is_not_found(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    foreign = make_user(tenant=there, roles=["clerk"])
    login(make_user(tenant=here, roles=["admin"]))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == foreign.id))
    assert client.post(f"/{here.slug}/admin/roles/{membership.id}/revoke").status_code == 404
    db.session.expire_all()
    assert foreign.roles_in(there.id) == {"clerk"}


def test_outbox_lists_only_this_tenants_mail(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    queue_mail("k1", "a@example.org", "Ihre Buchung", "Zeile eins\nZeile zwei", tenant=here)
    queue_mail("k2", "b@example.org", "Fremde Post", "geheim", tenant=there)
    queue_mail("k3", "c@example.org", "Ohne Kommune", "global", tenant=None)
    db.session.commit()
    login(make_user(tenant=here, roles=["admin"]))
    page = client.get(f"/{here.slug}/admin/outbox").get_data(as_text=True)
    assert "Ihre Buchung" in page and "a@example.org" in page
    assert "<details>" in page and "Zeile eins\nZeile zwei" in page
    assert "wartet" in page
    assert "Fremde Post" not in page and "Ohne Kommune" not in page


def test_audit_lists_only_this_tenants_entries(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    accounts.grant_role(there, None, make_user("fremd@example.org"), "clerk")
    accounts.grant_role(here, None, make_user("hier@example.org"), "clerk")
    db.session.commit()
    login(make_user(tenant=here, roles=["clerk"]))
    page = client.get(f"/{here.slug}/admin/audit").get_data(as_text=True)
    assert "hier@example.org" in page and "fremd@example.org" not in page
    assert "System" in page  # no actor: granted from the command line
