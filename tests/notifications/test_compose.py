"""Mail is composed at delivery: ``notify`` queues what to write (the rows
it is about by reference, plain values), ``compose_pending`` (the first step
of ``mail.deliver``) writes it. A mail that cannot be written fails alone."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import delete, func, select

from booking.accounts import service as accounts
from booking.accounts.models import OrganisationInvitation, User
from booking.core import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose_pending, notify


@pytest.fixture
def invitation(tenant, make_user):
    inviter = make_user("vera@example.org", name="Vera")
    organisation = accounts.create_organisation(tenant, inviter, name="TSV")
    invitation = accounts.invite_member(organisation, inviter, "max@example.org")
    accounts.send_invitation(tenant, invitation, inviter)
    db.session.commit()
    return invitation


def all_mail() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_notify_queues_references_and_the_deliverer_writes_the_mail(app, tenant, invitation):
    (queued,) = all_mail()
    assert queued.status == "queued" and not queued.composed
    assert queued.subject is None and queued.body_text is None
    assert queued.kind == "organisation_invitation"
    assert queued.context["invitation"] == {"$row": "OrganisationInvitation", "id": invitation.id}
    assert queued.context["tenant"] == {"$row": "Tenant", "id": tenant.id}

    assert compose_pending(utcnow()) == {"composed": 1, "failed": 0}
    (mail,) = all_mail()
    assert mail.composed and mail.subject == "Einladung: TSV"
    assert "Vera lädt Sie ein" in mail.body_text and mail.body_html
    assert mail.context is None  # what it was made from is not kept
    assert mail.status == "queued" and mail.attempts == 0  # sending is the next step


def test_composing_twice_writes_once(app, invitation):
    compose_pending(utcnow())
    (first,) = all_mail()
    text = first.body_text
    assert compose_pending(utcnow()) == {"composed": 0, "failed": 0}
    (again,) = all_mail()
    assert again.body_text == text


def test_a_mail_says_what_holds_when_it_is_composed(app, invitation):
    invitation.organisation.name = "TSV 1860"
    db.session.commit()
    compose_pending(utcnow())
    (mail,) = all_mail()
    assert mail.subject == "Einladung: TSV 1860"


def test_a_mail_about_a_row_deleted_in_between_fails_alone(
    app, tenant, make_user, invitation, caplog
):
    accounts.send_reset("s" * 32, make_user("anna@example.org"))
    db.session.execute(
        delete(OrganisationInvitation).where(OrganisationInvitation.id == invitation.id)
    )
    db.session.commit()
    with caplog.at_level(logging.ERROR):
        assert compose_pending(utcnow()) == {"composed": 1, "failed": 1}
    gone, reset = all_mail()
    assert gone.status == "failed" and not gone.composed and gone.attempts == 1
    assert gone.last_error == f"Gone: OrganisationInvitation {invitation.id}"
    assert reset.composed and "/account/reset/" in reset.body_text
    assert f"mail {gone.id} could not be composed" in caplog.text


def test_a_broken_template_fails_alone(app, tenant, invitation):
    notify("no_such_kind", "a@example.org", tenant, key="broken")
    db.session.commit()
    assert compose_pending(utcnow()) == {"composed": 1, "failed": 1}
    broken = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key == "broken")).one()
    assert broken.status == "failed" and "TemplateNotFound" in broken.last_error


@pytest.mark.parametrize(
    "context",
    [{"thing": object()}, {"user": User(email="neu@example.org")}, {"items": [{1, 2}]}],
    ids=["object", "row-without-id", "set-in-list"],
)
def test_what_cannot_be_stored_is_refused_when_queued(app, tenant, context):
    with pytest.raises(TypeError):
        notify("organisation_invitation", "x@example.org", tenant, key="k", **context)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_outbox_shows_mail_not_yet_composed_and_mail_that_failed(
    app, client, login, tenant, make_user, invitation
):
    login(make_user(tenant=tenant, roles=["admin"]))
    page = client.get(f"/{tenant.slug}/admin/outbox").get_data(as_text=True)
    assert "Noch nicht verfasst" in page and "max@example.org" in page

    db.session.execute(delete(OrganisationInvitation))
    db.session.commit()
    compose_pending(utcnow())
    page = client.get(f"/{tenant.slug}/admin/outbox").get_data(as_text=True)
    assert "Fehler" in page and "Gone: OrganisationInvitation" in page and "Erneut senden" in page


def test_every_row_a_mail_can_name_has_a_class_name_of_its_own(app):
    """The outbox names rows by class name (``{"$row": "Booking", ...}``):
    two mapped classes of one name would make a mail read the wrong table."""
    names = [mapper.class_.__name__ for mapper in db.Model.registry.mappers]
    assert len(names) == len(set(names))
