"""The resources' access policy (``booking.resources.access``): one answer per
role, nobody from another municipality, nobody signed out."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from booking.core import Forbidden, NotFound
from booking.resources import access

# role -> (manage resources, manage closures, see internal resources)
EXPECTED = {
    "admin": (True, True, True),
    "clerk": (False, True, True),
    "caretaker": (False, False, True),
    "funeral_home": (False, False, True),
    None: (False, False, False),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_its_answers(tenant, make_user, role):
    user = make_user(tenant=tenant, roles=(role,) if role else ())
    answers = (
        access.can_manage_resources(user, tenant),
        access.can_manage_closures(user, tenant),
        access.sees_internal_resources(user, tenant),
    )
    assert answers == EXPECTED[role]


def test_a_role_elsewhere_counts_for_nothing(tenant, make_tenant, make_user):
    elsewhere = make_tenant("andersdorf")
    user = make_user(tenant=elsewhere, roles=("admin",))
    assert not access.can_manage_resources(user, tenant)
    assert not access.can_manage_closures(user, tenant)
    assert not access.sees_internal_resources(user, tenant)


@pytest.mark.parametrize("nobody", [None, AnonymousUserMixin()])
def test_nobody_signed_in_may_nothing(tenant, nobody):
    assert not access.can_manage_resources(nobody, tenant)
    assert not access.can_manage_closures(nobody, tenant)
    assert not access.sees_internal_resources(nobody, tenant)


def test_internal_resources_and_their_parts_are_hidden_from_citizens(
    tenant, make_resource, citizen, clerk
):
    hall = make_resource("Bauhof", public=False)
    part = make_resource("Werkstatt", "room", parent=hall)
    public = make_resource("Bürgerhaus")
    assert access.is_hidden(part) and not access.is_hidden(public)
    assert not access.can_see_resource(citizen, tenant, part)
    assert access.can_see_resource(citizen, tenant, public)
    assert access.can_see_resource(clerk, tenant, part)


def test_require_manage_refuses_others_and_another_municipalitys_resource(
    tenant, make_tenant, make_resource, admin, clerk
):
    hall = make_resource("Halle")
    access.require_manage(tenant, admin, hall)
    access.require_manage(tenant, None, hall)  # the system
    with pytest.raises(Forbidden):
        access.require_manage(tenant, clerk, hall)
    elsewhere = make_tenant("andersdorf")
    foreign = make_resource("Fremde Halle", of_tenant=elsewhere)
    with pytest.raises(NotFound):
        access.require_manage(tenant, admin, foreign)
