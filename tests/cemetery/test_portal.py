"""The family portal: a holder's graves, applying for an extension (the fee
shown first, the extension and its invoice), the clerk's account link, the
letters to write; access: anonymous → login, others → 403/404."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees.models import Invoice
from cemetery import fees
from cemetery.models import Burial, Contact, GraveRight

SCHEDULE = {"extension_per_year_cents": {"wahlgrab": 4500, "urnenwahlgrab": 3000}}


def make_contact(tenant, name="Erika Muster", *, user=None, email=None, **fields):
    contact = Contact(
        tenant_id=tenant.id,
        name=name,
        street=fields.pop("street", "Lindenweg 4"),
        postcode="12345",
        city="Musterhausen",
        email=email,
        user_id=user.id if user else None,
        **fields,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def make_right(tenant, plot, holder, *, start=date(2000, 5, 1), end=date(2030, 4, 30)):
    right = GraveRight(
        tenant_id=tenant.id,
        plot_id=plot.id,
        holder_id=holder.id,
        start_date=start,
        end_date=end,
        status="active",
    )
    db.session.add(right)
    db.session.commit()
    return right


@pytest.fixture
def holder(tenant, citizen):
    return make_contact(tenant, "Carla Citizen", user=citizen, email=citizen.email)


@pytest.fixture
def wahl_right(tenant, cemetery, make_plot, holder):
    fees.set_schedule(tenant, None, SCHEDULE)
    plot = make_plot(cemetery, "B-04-12", "wahlgrab")
    right = make_right(tenant, plot, holder)
    db.session.add(
        Burial(
            tenant_id=tenant.id,
            cemetery_id=cemetery.id,
            plot_id=plot.id,
            right_id=right.id,
            kind="coffin",
            deceased_name="Karl Citizen",
            deceased_name_key="karl citizen",
            deceased_died=date(2010, 3, 1),
            burial_date=date(2010, 3, 8),
            rest_until=date(2035, 3, 7),
            status="done",
        )
    )
    db.session.commit()
    return right


@pytest.fixture
def reihen_right(tenant, cemetery, make_plot, holder):
    plot = make_plot(cemetery, "A-01-01", "reihengrab", section="A")
    return make_right(tenant, plot, holder)


def _base(tenant):
    return f"/{tenant.slug}/my-graves"


# --- the holder's overview ---------------------------------------------------------


def test_holder_sees_graves_rest_periods_and_end(client, login, tenant, citizen, wahl_right):
    login(citizen)
    page = client.get(_base(tenant) + "/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Friedhof Musterhausen" in text and "B-04-12" in text and "Wahlgrab" in text
    assert "30.04.2030" in text  # the right's end
    assert "Karl Citizen: Ruhezeit bis 07.03.2035" in text
    assert f"/my-graves/rights/{wahl_right.id}/extend" in text


def test_non_extendable_grave_has_no_form_but_a_sentence(
    client, login, tenant, citizen, reihen_right
):
    login(citizen)
    text = client.get(_base(tenant) + "/").get_data(as_text=True)
    assert "kann nicht verlängert werden" in text
    assert f"/rights/{reihen_right.id}/extend" not in text
    page = client.get(f"{_base(tenant)}/rights/{reihen_right.id}/extend")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "nicht verlängert werden" in body and 'name="years"' not in body
    answer = client.post(f"{_base(tenant)}/rights/{reihen_right.id}/extend", data={"years": "5"})
    assert answer.status_code == 422
    db.session.expire_all()
    assert reihen_right.end_date == date(2030, 4, 30)


def test_user_without_graves_gets_a_helpful_page(client, login, tenant, other_citizen):
    login(other_citizen)
    page = client.get(_base(tenant) + "/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "noch mit keiner Grabstätte verknüpft" in text
    assert "Friedhofsverwaltung" in text


def test_anonymous_goes_to_the_login(client, tenant, wahl_right):
    for path in ("/", f"/rights/{wahl_right.id}/extend"):
        answer = client.get(_base(tenant) + path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_another_holders_or_tenants_right_is_404(
    client, login, tenant, other_citizen, make_tenant, make_user, wahl_right
):
    login(other_citizen)
    path = f"/rights/{wahl_right.id}/extend"
    assert client.get(_base(tenant) + path).status_code == 404
    assert client.get(_base(tenant) + path + "?years=2").status_code == 404
    assert client.post(_base(tenant) + path, data={"years": "2"}).status_code == 404
    client.get("/account/logout")
    other = make_tenant("anderswo")
    stranger = make_user("holder@anderswo.example")
    make_contact(other, "Fremd", user=stranger)
    login(stranger)
    assert client.get(f"/{other.slug}/my-graves{path}").status_code == 404
    assert client.post(f"/{other.slug}/my-graves{path}", data={"years": "2"}).status_code == 404
    db.session.expire_all()
    assert wahl_right.end_date == date(2030, 4, 30)
    assert client.get(f"{_base(tenant)}/rights/99999999999999/extend").status_code == 404


def test_ended_right_cannot_be_extended(client, login, tenant, citizen, wahl_right):
    wahl_right.status = "surrendered"
    db.session.commit()
    login(citizen)
    assert client.get(f"{_base(tenant)}/rights/{wahl_right.id}/extend").status_code == 404


# --- applying for an extension ------------------------------------------------------


def test_the_fee_is_shown_before_anything_is_written(client, login, tenant, citizen, wahl_right):
    login(citizen)
    page = client.get(f"{_base(tenant)}/rights/{wahl_right.id}/extend?years=5")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Verlängerung des Nutzungsrechts Wahlgrab: 5 Jahre à 45,00" in text
    assert "225,00" in text
    assert "30.04.2035" in text  # the new end
    assert "Verbindlich beantragen" in text
    db.session.expire_all()
    assert wahl_right.end_date == date(2030, 4, 30)
    assert db.session.scalar(select(Invoice.id)) is None


@pytest.mark.parametrize("years", ["0", "31", "-1", "zwei", "2.5", ""])
def test_bad_years_are_422_and_change_nothing(client, login, tenant, citizen, wahl_right, years):
    login(citizen)
    path = f"{_base(tenant)}/rights/{wahl_right.id}/extend"
    assert client.get(f"{path}?years={years}").status_code == 422
    assert client.post(path, data={"years": years}).status_code == 422
    db.session.expire_all()
    assert wahl_right.end_date == date(2030, 4, 30)
    assert db.session.scalar(select(Invoice.id)) is None


def test_extension_takes_effect_and_issues_an_open_invoice(
    client, login, tenant, citizen, wahl_right
):
    login(citizen)
    answer = client.post(
        f"{_base(tenant)}/rights/{wahl_right.id}/extend", data={"years": "5", "end": "2030-04-30"}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.session.expire_all()
    assert wahl_right.end_date == date(2035, 4, 30)
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.subject == "cemetery" and invoice.booking_id is None
    assert invoice.status == "open" and invoice.total_cents == 5 * 4500
    assert invoice.user_id == citizen.id
    assert answer.headers["Location"].endswith(f"/{tenant.slug}/invoices/{invoice.id}")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert invoice.number in page and invoice.payment_reference in page
    # The overview shows the new end and the open invoice.
    overview = client.get(_base(tenant) + "/").get_data(as_text=True)
    assert "30.04.2035" in overview and invoice.number in overview
    assert "um 5 Jahre" in overview  # the history
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("grave_right.%")))
        is not None
    )


def test_free_extension_issues_no_invoice(client, login, tenant, citizen, wahl_right):
    fees.set_schedule(tenant, None, {})
    db.session.commit()
    login(citizen)
    answer = client.post(
        f"{_base(tenant)}/rights/{wahl_right.id}/extend", data={"years": "2", "end": "2030-04-30"}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-graves/")
    db.session.expire_all()
    assert wahl_right.end_date == date(2032, 4, 30)
    assert db.session.scalar(select(Invoice.id)) is None


# --- clerks: linking an account ---------------------------------------------------------


def test_clerk_links_a_contact_to_a_confirmed_account(
    client, login, tenant, clerk, other_citizen, cemetery, make_plot
):
    contact = make_contact(tenant, "Otto Other")
    plot = make_plot(cemetery, "C-01-01", "urnenwahlgrab", section="C")
    make_right(tenant, plot, contact)
    login(clerk)
    search = client.get(f"{_base(tenant)}/link?q=Otto").get_data(as_text=True)
    assert "Otto Other" in search
    answer = client.post(
        f"{_base(tenant)}/link", data={"contact_id": contact.id, "email": "OTHER@example.org"}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert contact.user_id == other_citizen.id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cemetery.contact_link")
    ).one()
    assert entry.actor_id == clerk.id
    client.get("/account/logout")
    login(other_citizen)
    assert "C-01-01" in client.get(_base(tenant) + "/").get_data(as_text=True)


def test_link_refuses_unknown_or_unconfirmed_accounts(
    client, login, tenant, clerk, make_user, make_tenant
):
    contact = make_contact(tenant, "Otto Other")
    unconfirmed = make_user("neu@example.org")
    unconfirmed.email_confirmed_at = None
    db.session.commit()
    login(clerk)
    for email in ("niemand@example.org", "neu@example.org", ""):
        answer = client.post(
            f"{_base(tenant)}/link", data={"contact_id": contact.id, "email": email}
        )
        assert answer.status_code == 422
    other = make_tenant("anderswo")
    foreign = make_contact(other, "Fremd")
    answer = client.post(
        f"{_base(tenant)}/link", data={"contact_id": foreign.id, "email": clerk.email}
    )
    assert answer.status_code == 422
    assert client.post(f"{_base(tenant)}/link", data={"contact_id": "x"}).status_code == 422
    db.session.expire_all()
    assert contact.user_id is None and foreign.user_id is None


def test_unlink(client, login, tenant, clerk, citizen, holder):
    login(clerk)
    answer = client.post(f"{_base(tenant)}/link", data={"contact_id": holder.id, "unlink": "y"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert holder.user_id is None


def test_link_and_letters_are_for_staff(
    client, login, tenant, citizen, holder, make_tenant, make_user
):
    for path in ("/link", "/letters"):
        anonymous = client.get(_base(tenant) + path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(citizen)
    for path in ("/link", "/letters"):
        assert client.get(_base(tenant) + path).status_code == 403
    answer = client.post(
        f"{_base(tenant)}/link", data={"contact_id": holder.id, "email": citizen.email}
    )
    assert answer.status_code == 403
    client.get("/account/logout")
    other = make_tenant("anderswo")
    foreign_clerk = make_user("clerk@anderswo.example", tenant=other, roles=("clerk",))
    login(foreign_clerk)
    assert client.get(_base(tenant) + "/link").status_code == 403


# --- clerks: letters to write --------------------------------------------------------------


def test_letters_list_holders_without_email_and_notes_the_letter(
    client, login, tenant, clerk, cemetery, make_plot, make_tenant
):
    today = date.today()
    soon = today + timedelta(days=60)
    postal = make_contact(tenant, "Paula Post", street="Am Brunnen 2")
    mailed = make_contact(tenant, "Mia Mail", email="mia@example.org")
    later = make_contact(tenant, "Lena Later")
    r1 = make_right(tenant, make_plot(cemetery, "D-1"), postal, end=soon)
    make_right(tenant, make_plot(cemetery, "D-2"), mailed, end=soon)
    make_right(tenant, make_plot(cemetery, "D-3"), later, end=today + timedelta(days=800))
    login(clerk)
    text = client.get(_base(tenant) + "/letters").get_data(as_text=True)
    assert "Paula Post" in text and "Am Brunnen 2" in text
    assert "Mia Mail" not in text and "Lena Later" not in text
    answer = client.post(f"{_base(tenant)}/letters/{r1.id}/done")
    assert answer.status_code == 302
    db.session.expire_all()
    assert r1.expiry_notified_at is not None
    assert "Am Brunnen 2" not in client.get(_base(tenant) + "/letters").get_data(as_text=True)
    # Noted twice: refused, nothing changes.
    first = r1.expiry_notified_at
    client.post(f"{_base(tenant)}/letters/{r1.id}/done")
    db.session.expire_all()
    assert r1.expiry_notified_at == first
    other = make_tenant("anderswo")
    assert client.post(f"/{other.slug}/my-graves/letters/{r1.id}/done").status_code in (403, 404)
    assert client.post(f"{_base(tenant)}/letters/99999999999999/done").status_code == 404


def test_invoices_billed_before_the_link_follow_it(
    client, login, tenant, clerk, other_citizen, cemetery, make_plot
):
    from booking.core import utcnow
    from cemetery.models import GraveRightEvent
    from tests.cemetery.conftest import grave_type_of

    fees.set_schedule(tenant, None, SCHEDULE)
    contact = make_contact(tenant, "Otto Other")
    row = make_right(tenant, make_plot(cemetery, "E-1"), contact)
    fee = fees.extension_fee(tenant, grave_type_of(tenant, "wahlgrab"), 2)
    invoice = fees.bill(tenant, fee, contact=contact, now=utcnow())
    assert invoice.user_id is None
    db.session.add(
        GraveRightEvent(
            tenant_id=tenant.id,
            right_id=row.id,
            kind="extended",
            on_date=date.today(),
            years=2,
            invoice_id=invoice.id,
        )
    )
    db.session.commit()
    login(clerk)
    client.post(
        f"{_base(tenant)}/link", data={"contact_id": contact.id, "email": other_citizen.email}
    )
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).user_id == other_citizen.id
    client.get("/account/logout")
    login(other_citizen)
    assert client.get(f"/{tenant.slug}/invoices/{invoice.id}").status_code == 200
    assert invoice.number in client.get(_base(tenant) + "/").get_data(as_text=True)
    client.get("/account/logout")
    login(clerk)
    client.post(f"{_base(tenant)}/link", data={"contact_id": contact.id, "unlink": "y"})
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).user_id is None


def test_a_second_submit_does_not_extend_twice(client, login, tenant, citizen, wahl_right):
    login(citizen)
    path = f"{_base(tenant)}/rights/{wahl_right.id}/extend"
    page = client.get(f"{path}?years=3").get_data(as_text=True)
    assert 'name="end" value="2030-04-30"' in page
    data = {"years": "3", "end": "2030-04-30"}
    assert client.post(path, data=data).status_code == 302
    again = client.post(path, data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith("/my-graves/")
    db.session.expire_all()
    assert wahl_right.end_date == date(2033, 4, 30)
    assert len(db.session.scalars(select(Invoice)).all()) == 1


def test_an_application_without_the_end_seen_changes_nothing(
    client, login, tenant, citizen, wahl_right
):
    """A crafted or truncated POST (no ``end``) could not be told from a
    second submit: the page with fee and new end answers again, 422."""
    login(citizen)
    path = f"{_base(tenant)}/rights/{wahl_right.id}/extend"
    answer = client.post(path, data={"years": "3"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "erneut" in page and 'name="end" value="2030-04-30"' in page
    db.session.expire_all()
    assert wahl_right.end_date == date(2030, 4, 30)
    assert db.session.scalar(select(Invoice.id)) is None
