"""Organisations (clubs, funeral homes) of one municipality."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from booking.accounts import service
from booking.accounts.models import Organisation
from booking.core import ValidationFailed
from booking.extensions import db
from tests.accounts.helpers import add_member, outbox_to


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
    # Somebody else's organisation does not exist for them (as another municipality's).
    assert client.get(f"/{tenant.slug}/organisations/{other.id}").status_code == 404


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


def test_managers_invite_and_remove_members(client, login, make_user, tenant):
    owner = make_user(name="Vera")
    member = make_user("max@example.org", name="Max")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    db.session.commit()
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    login(owner)
    assert client.post(base + "/members", data={"email": "MAX@example.org"}).status_code == 302
    client.post("/account/logout")

    login(member)
    (invitation,) = service.invitations_for(member, tenant)
    page = client.get(f"/{tenant.slug}/organisations/").get_data(as_text=True)
    assert "Gesangverein" in page and "Annehmen" in page
    answer = f"/{tenant.slug}/organisations/invitations/{invitation.id}/accept"
    assert client.post(answer).status_code == 302
    db.session.expire_all()
    assert {m.user.email for m in organisation.members} == {owner.email, "max@example.org"}
    assert client.post(answer).status_code == 404  # spent
    client.post("/account/logout")

    login(owner)
    assert client.post(base + f"/members/{member.id}/remove").status_code == 302
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]

    # The last manager cannot be removed.
    client.post(base + f"/members/{owner.id}/remove")
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]


def test_plain_members_cannot_manage_nor_see_addresses(client, login, make_user, tenant):
    owner = make_user("vera@example.org", name="Vera")
    member = make_user()
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    add_member(organisation, owner, member)
    db.session.commit()
    login(member)
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    page = client.get(base).get_data(as_text=True)
    assert "Mitglied einladen" not in page
    assert "vera@example.org" not in page
    assert client.post(base + "/members", data={"email": "x@example.org"}).status_code == 403
    assert client.post(base + f"/members/{owner.id}/remove").status_code == 403
    db.session.expire_all()
    assert len(organisation.members) == 2


# --- invitations: nobody is added without saying yes ---------------------------------


def test_inviting_answers_the_same_for_known_and_unknown_addresses_and_adds_nobody(
    client, login, make_user, tenant
):
    owner = make_user()
    make_user("bekannt@example.org", name="Bekannte Person")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    db.session.commit()
    login(owner)
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    client.get(base)  # (shows the sign-in message)
    pages = []
    for email in ("bekannt@example.org", "unbekannt@example.org"):
        response = client.post(base + "/members", data={"email": email}, follow_redirects=True)
        assert response.status_code == 200
        page = response.get_data(as_text=True).replace(email, "ADDRESS")
        # The forms' CSRF tokens carry a timestamp: the two answers may straddle a second.
        page = re.sub(r"<input[^>]*csrf_token[^>]*>", "", page)
        flash = re.search(r'<div class="flash.*?</div>', page, re.S).group(0)
        members = re.search(r'<section aria-labelledby="members-title">.*?</section>', page, re.S)
        pages.append(flash + members.group(0))
    assert pages[0] == pages[1]
    assert "Die Einladung an ADDRESS ist verschickt" in pages[0]
    assert "Bekannte Person" not in pages[0]
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]
    # Both addresses got the same invitation mail, without any token in it.
    bodies = [outbox_to(e)[0].body_text for e in ("bekannt@example.org", "unbekannt@example.org")]
    assert bodies[0] == bodies[1]
    assert "Gesangverein" in bodies[0] and "/organisations/" in bodies[0]
    assert not outbox_to("bekannt@example.org")[0].personal


def test_an_invitation_is_answered_only_by_its_address(client, login, make_user, tenant):
    owner = make_user()
    invited = make_user("max@example.org")
    stranger = make_user()
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    invitation = service.invite_member(organisation, owner, invited.email, is_manager=True)
    db.session.commit()
    login(stranger)
    for answer in ("accept", "decline"):
        path = f"/{tenant.slug}/organisations/invitations/{invitation.id}/{answer}"
        assert client.post(path).status_code == 404
    assert client.post(f"/{tenant.slug}/organisations/invitations/999999/accept").status_code == 404
    assert client.post(f"/{tenant.slug}/organisations/invitations/x/accept").status_code == 404
    db.session.expire_all()
    assert len(organisation.members) == 1 and invitation.answered_at is None


def test_a_declined_withdrawn_or_expired_invitation_adds_nobody(client, login, make_user, tenant):
    owner = make_user()
    invited = make_user("max@example.org")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    declined = service.invite_member(organisation, owner, invited.email)
    db.session.commit()
    login(invited)
    path = f"/{tenant.slug}/organisations/invitations/{declined.id}"
    assert client.post(path + "/decline").status_code == 302
    assert client.post(path + "/accept").status_code == 404
    client.post("/account/logout")

    # Invited again, then withdrawn by the manager.
    withdrawn = service.invite_member(organisation, owner, invited.email)
    db.session.commit()
    login(owner)
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    assert "max@example.org" in client.get(base).get_data(as_text=True)
    assert client.post(base + f"/invitations/{withdrawn.id}/withdraw").status_code == 302
    assert client.post(base + f"/invitations/{withdrawn.id}/withdraw").status_code == 404
    client.post("/account/logout")

    expired = service.invite_member(
        organisation, owner, invited.email, now=datetime.now(UTC) - timedelta(days=15)
    )
    db.session.commit()
    assert service.invitations_for(invited, tenant) == []
    login(invited)
    path = f"/{tenant.slug}/organisations/invitations/{expired.id}/accept"
    assert client.post(path).status_code == 404
    db.session.expire_all()
    assert [m.user_id for m in organisation.members] == [owner.id]


def test_invitations_are_not_found_in_another_municipality(client, login, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    owner = make_user()
    invited = make_user("max@example.org")
    organisation = service.create_organisation(there, owner, name="Fremder Verein")
    invitation = service.invite_member(organisation, owner, invited.email)
    db.session.commit()
    login(invited)
    assert "Fremder Verein" not in client.get(f"/{here.slug}/organisations/").get_data(as_text=True)
    path = f"/{here.slug}/organisations/invitations/{invitation.id}/accept"
    assert client.post(path).status_code == 404
    client.post("/account/logout")
    login(make_user(tenant=here, roles=["admin"]))
    path = f"/{here.slug}/organisations/{organisation.id}/invitations/{invitation.id}/withdraw"
    assert client.post(path).status_code == 404


def test_an_unconfirmed_address_sees_no_invitations(make_user, tenant):
    owner = make_user()
    invited = make_user("max@example.org", confirmed=False)
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    service.invite_member(organisation, owner, invited.email)
    assert service.invitations_for(invited, tenant) == []


def test_invitation_input_is_checked(client, login, make_user, tenant):
    owner = make_user("vera@example.org")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    db.session.commit()
    login(owner)
    base = f"/{tenant.slug}/organisations/{organisation.id}"
    for email, message in (
        ("keine-adresse", "gültige E-Mail-Adresse"),
        ("", "Bitte füllen Sie dieses Feld aus"),
        ("vera@example.org", "gehört schon zur Organisation"),
        ("x" * 250 + "@example.org", "Höchstens 254 Zeichen"),
    ):
        response = client.post(base + "/members", data={"email": email})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert service.open_invitations(organisation) == []
    assert outbox_to("vera@example.org") == []


def test_open_invitations_are_capped(make_user, tenant):
    owner = make_user()
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    for n in range(service.MAX_OPEN_INVITATIONS):
        service.invite_member(organisation, owner, f"p{n}@example.org")
    with pytest.raises(ValidationFailed):
        service.invite_member(organisation, owner, "noch-eine@example.org")
    # Inviting an open address again renews it instead.
    service.invite_member(organisation, owner, "p0@example.org")


def test_inviting_an_address_again_mails_it_once_a_day(client, login, make_user, tenant):
    owner = make_user()
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    db.session.commit()
    login(owner)
    for _n in range(4):
        response = client.post(
            f"/{tenant.slug}/organisations/{organisation.id}/members",
            data={"email": "opfer@example.org"},
        )
        assert response.status_code == 302
    assert len(outbox_to("opfer@example.org")) == 1
    assert len(service.open_invitations(organisation)) == 1


def test_plain_members_do_not_see_the_address_of_a_nameless_member(
    client, login, make_user, tenant
):
    owner = make_user("ohne-namen@example.org")  # e.g. created on the command line
    member = make_user(name="Max")
    organisation = service.create_organisation(tenant, owner, name="Gesangverein")
    add_member(organisation, owner, member)
    db.session.commit()
    login(member)
    page = client.get(f"/{tenant.slug}/organisations/{organisation.id}").get_data(as_text=True)
    assert "ohne-namen@example.org" not in page and "(ohne Namen)" in page
