"""Organisations (clubs, funeral homes) of one municipality."""

from __future__ import annotations

from booking.accounts import service
from booking.accounts.models import Organisation
from booking.extensions import db


def org_names() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(db.select(Organisation.name)))


def test_a_citizen_creates_a_club_and_manages_it(client, login, make_user, tenant):
    user = make_user(name="Vera")
    login(user)
    assert client.get(f"/{tenant.slug}/organisations/new").status_code == 200
    response = client.post(
        f"/{tenant.slug}/organisations/new", data={"name": "TSV 1890", "kind": "club"}
    )
    assert response.status_code == 302
    (organisation,) = service.organisations_of(user, tenant)
    assert response.headers["Location"] == f"/{tenant.slug}/organisations/{organisation.id}"
    page = client.get(f"/{tenant.slug}/organisations/").get_data(as_text=True)
    assert "TSV 1890" in page
    page = client.get(f"/{tenant.slug}/organisations/{organisation.id}").get_data(as_text=True)
    assert "Vera" in page and "verantwortlich" in page


def test_organisation_input_is_validated(client, login, make_user, tenant):
    user = make_user()
    login(user)
    service.create_organisation(tenant, user, name="TSV 1890")
    db.session.commit()
    for data in ({"name": "", "kind": "club"}, {"name": "TSV 1890", "kind": "club"}):
        response = client.post(f"/{tenant.slug}/organisations/new", data=data)
        assert response.status_code == 200
        assert "error-summary" in response.get_data(as_text=True)
    # Funeral homes are entered by the administration only.
    response = client.post(
        f"/{tenant.slug}/organisations/new", data={"name": "Pietät", "kind": "funeral_home"}
    )
    assert response.status_code == 200
    assert org_names() == ["TSV 1890"]


def test_staff_may_enter_funeral_homes_and_see_all(client, login, make_user, tenant):
    citizen = make_user()
    service.create_organisation(tenant, citizen, name="TSV 1890")
    db.session.commit()
    login(make_user(tenant=tenant, roles=["clerk"]))
    response = client.post(
        f"/{tenant.slug}/organisations/new", data={"name": "Pietät Müller", "kind": "funeral_home"}
    )
    assert response.status_code == 302
    page = client.get(f"/{tenant.slug}/organisations/").get_data(as_text=True)
    assert "TSV 1890" in page and "Pietät Müller" in page


def test_members_see_only_their_organisations(client, login, make_user, tenant):
    owner = make_user()
    mine = service.create_organisation(tenant, owner, name="Gesangverein")
    other = service.create_organisation(tenant, make_user(), name="Schützenverein")
    db.session.commit()
    login(owner)
    page = client.get(f"/{tenant.slug}/organisations/").get_data(as_text=True)
    assert "Gesangverein" in page and "Schützenverein" not in page
    assert client.get(f"/{tenant.slug}/organisations/{mine.id}").status_code == 200
    assert client.get(f"/{tenant.slug}/organisations/{other.id}").status_code == 403


def test_an_organisation_of_another_tenant_is_not_found(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    owner = make_user(tenant=there, roles=["admin"])
    foreign = service.create_organisation(there, owner, name="Fremder Verein")
    db.session.commit()
    login(make_user(tenant=here, roles=["admin"]))
    assert client.get(f"/{here.slug}/organisations/{foreign.id}").status_code == 404
    response = client.post(
        f"/{here.slug}/organisations/{foreign.id}/members", data={"email": "x@example.org"}
    )
    assert response.status_code == 404


def test_managers_add_and_remove_members(client, login, make_user, tenant):
    owner = make_user(name="Vera")
    member = make_user("max@example.org", name="Max")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    db.session.commit()
    login(owner)
    base = f"/{tenant.slug}/organisations/{organisation.id}"

    response = client.post(base + "/members", data={"email": "unbekannt@example.org"})
    assert response.status_code == 200
    assert "zuerst registrieren" in response.get_data(as_text=True)

    assert client.post(base + "/members", data={"email": "MAX@example.org"}).status_code == 302
    db.session.expire_all()
    assert {m.user.email for m in organisation.members} == {owner.email, "max@example.org"}

    assert client.post(base + f"/members/{member.id}/remove").status_code == 302
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]

    # The last manager cannot be removed.
    client.post(base + f"/members/{owner.id}/remove")
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]


def test_plain_members_cannot_manage(client, login, make_user, tenant):
    owner = make_user()
    member = make_user()
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    service.add_member(organisation, owner, member.email)
    db.session.commit()
    login(member)
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    page = client.get(base).get_data(as_text=True)
    assert "Mitglied hinzufügen" not in page
    assert client.post(base + "/members", data={"email": "x@example.org"}).status_code == 403
    assert client.post(base + f"/members/{owner.id}/remove").status_code == 403
    db.session.expire_all()
    assert len(organisation.members) == 2
