"""The invoice page and PDF (booker, clerk, admin; others 404), the clerks'
list with sums, marking paid (audited), the CSV export, the bank screen."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees import invoices
from tests.conftest import CI
from tests.fees.invoicing import FEE_CENTS, book, invoice, make_paid_hall

IBAN = "DE02120300000000202051"


@pytest.fixture
def paid_hall(make_resource):
    return make_paid_hall(make_resource)


@pytest.fixture
def booked(tenant, citizen, paid_hall, day):
    tenant.iban = IBAN
    tenant.bic = "BYLADEM1001"
    tenant.bank_account_holder = "Gemeindekasse Musterhausen"
    booking = book(tenant, citizen, paid_hall, day)
    db.session.commit()
    return booking


def text_of(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return html.unescape(re.sub(r"\s+", " ", body))


def test_the_booker_sees_the_invoice_page(client, login, tenant, citizen, booked):
    login(citizen)
    response = client.get(f"/{tenant.slug}/bookings/{booked.id}/invoice")
    assert response.status_code == 200
    page = text_of(response)
    inv = invoice(booked)
    assert f"Gebührenbescheid {inv.number}" in page
    assert "DE02 1203 0000 0000 2020 51" in page
    assert "Gemeindekasse Musterhausen" in page
    assert inv.payment_reference in page
    assert "Zu zahlen 190,00 €" in page
    assert "Carla Citizen" in page


def test_the_pdf_has_the_invoice(client, login, tenant, clerk, booked, tmp_path):
    login(clerk)
    response = client.get(f"/{tenant.slug}/bookings/{booked.id}/invoice.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    path = Path(tmp_path / "invoice.pdf")
    path.write_bytes(body)
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        missing = "poppler-utils not installed (apt-get install -y poppler-utils)"
        if CI:
            pytest.fail(missing + ": CI checks the text of the PDF")
        pytest.skip(missing + ": the text of the PDF is not checked")
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    inv = invoice(booked)
    assert inv.number in text
    assert "Gebührenbescheid" in text
    assert "Empfänger" in text
    assert "190,00 €" in text
    assert "DE02 1203 0000 0000 2020 51" in text


@pytest.mark.parametrize("suffix", ["invoice", "invoice.pdf"])
def test_others_get_404(client, login, tenant, other_citizen, booked, suffix):
    login(other_citizen)
    assert client.get(f"/{tenant.slug}/bookings/{booked.id}/{suffix}").status_code == 404


def test_another_municipalitys_clerk_gets_404(
    client, login, make_tenant, make_user, tenant, booked
):
    other = make_tenant("andersdorf", name="Andersdorf")
    stranger = make_user(tenant=other, roles=("clerk",))
    login(stranger)
    assert client.get(f"/{other.slug}/bookings/{booked.id}/invoice").status_code == 404
    assert client.get(f"/{tenant.slug}/bookings/{booked.id}/invoice").status_code == 404


def test_a_free_booking_has_no_invoice_page(client, login, tenant, citizen, make_resource, day):
    booking = book(tenant, citizen, make_resource("Gratis"), day)
    db.session.commit()
    login(citizen)
    assert client.get(f"/{tenant.slug}/bookings/{booking.id}/invoice").status_code == 404


# --- the clerks' list -----------------------------------------------------------------


def test_the_list_shows_open_and_overdue_with_sums(
    client, login, tenant, citizen, clerk, paid_hall, day, booked
):
    late = invoice(book(tenant, citizen, paid_hall, day + timedelta(days=1)))
    late.due_date = late.issued_on - timedelta(days=1)
    db.session.commit()
    login(clerk)
    page = text_of(client.get(f"/{tenant.slug}/staff/invoices"))
    assert invoice(booked).number in page and late.number in page
    assert "Davon offen 380,00 €" in page
    assert "Überfällig 1 Bescheid, 190,00 €" in page
    overdue = text_of(client.get(f"/{tenant.slug}/staff/invoices?status=overdue"))
    assert late.number in overdue
    assert invoice(booked).number not in overdue


def test_the_list_takes_the_same_queries_for_more_invoices(
    client, login, tenant, citizen, clerk, paid_hall, day, booked, make_user, count_queries
):
    login(clerk)
    with count_queries() as few:
        assert client.get(f"/{tenant.slug}/staff/invoices").status_code == 200
    for n in range(3):
        other = make_user(f"b{n}@example.org", name=f"Bucher {n}")
        book(tenant, other, paid_hall, day + timedelta(days=n + 1))
    db.session.commit()
    with count_queries() as more:
        page = text_of(client.get(f"/{tenant.slug}/staff/invoices"))
    assert "Bucher 2" in page
    assert len(more) == len(few)


def test_the_list_is_for_staff_only(client, login, tenant, citizen, booked):
    login(citizen)
    assert client.get(f"/{tenant.slug}/staff/invoices").status_code == 403
    assert client.get(f"/{tenant.slug}/staff/invoices.csv").status_code == 403
    inv = invoice(booked)
    response = client.post(
        f"/{tenant.slug}/staff/invoices/{inv.id}/mark-paid", data={"paid_on": "2026-01-01"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert invoice(booked).status == "open"


def test_an_unknown_filter_is_400(client, login, tenant, clerk):
    login(clerk)
    assert client.get(f"/{tenant.slug}/staff/invoices?status=bogus").status_code == 400


def test_marking_paid_is_audited(client, login, tenant, clerk, booked):
    inv = invoice(booked)
    login(clerk)
    today = invoices.local_date(tenant, inv.created_at).isoformat()
    response = client.post(
        f"/{tenant.slug}/staff/invoices/{inv.id}/mark-paid",
        data={"paid_on": today, "reference": "Auszug 12"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    inv = invoice(booked)
    assert inv.status == "paid"
    assert inv.paid_reference == "Auszug 12"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.mark_paid"))
    assert entry.object_id == inv.id
    assert entry.after["amount_cents"] == FEE_CENTS + 10000
    # A second time: refused, nothing changes.
    client.post(f"/{tenant.slug}/staff/invoices/{inv.id}/mark-paid", data={"paid_on": today})
    db.session.expire_all()
    assert invoice(booked).paid_cents == FEE_CENTS + 10000


@pytest.mark.parametrize("paid_on", ["", "morgen", "2999-01-01"])
def test_marking_paid_with_a_bad_date_changes_nothing(
    client, login, tenant, clerk, booked, paid_on
):
    inv = invoice(booked)
    login(clerk)
    client.post(f"/{tenant.slug}/staff/invoices/{inv.id}/mark-paid", data={"paid_on": paid_on})
    db.session.expire_all()
    assert invoice(booked).status == "open"


def test_marking_another_municipalitys_invoice_is_404(
    client, login, make_tenant, make_user, booked
):
    other = make_tenant("andersdorf", name="Andersdorf")
    login(make_user(tenant=other, roles=("clerk",)))
    inv = invoice(booked)
    response = client.post(
        f"/{other.slug}/staff/invoices/{inv.id}/mark-paid", data={"paid_on": "2026-01-01"}
    )
    assert response.status_code == 404


def test_the_csv_for_the_cash_office(client, login, tenant, clerk, make_user, paid_hall, day):
    sly = make_user("sly@example.org", name='=HYPERLINK("x")')
    booking = book(tenant, sly, paid_hall, day)
    db.session.commit()
    login(clerk)
    response = client.get(f"/{tenant.slug}/staff/invoices.csv")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Bescheidnummer"
    row = rows[1]
    assert row[0] == invoice(booking).number
    assert row[4] == '\'=HYPERLINK("x")'
    assert row[6] == "90,00"
    assert row[7] == "100,00"
    assert row[10] == "190,00"


def test_csv_cells_are_guarded():
    assert [invoices.csv_cell(v) for v in ("=1", "+1", "-1", "@a", "ok", None)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "ok",
        "",
    ]
    assert invoices.german_amount(123456) == "1234,56"
    assert invoices.german_amount(-5) == "-0,05"


# --- the bank screen ------------------------------------------------------------------


def test_admins_set_bank_details(client, login, tenant, admin):
    login(admin)
    assert client.get(f"/{tenant.slug}/admin/bank").status_code == 200
    response = client.post(
        f"/{tenant.slug}/admin/bank",
        data={
            "bank_account_holder": "Gemeindekasse",
            "iban": "de02 1203 0000 0000 2020 51",
            "bic": "byladem1001",
            "bank_name": "Sparkasse",
            "payment_due_days": "21",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (tenant.iban, tenant.bic, tenant.payment_due_days) == (IBAN, "BYLADEM1001", 21)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tenant.bank_details"))


def test_a_bad_iban_is_refused(client, login, tenant, admin):
    login(admin)
    response = client.post(
        f"/{tenant.slug}/admin/bank",
        data={"iban": "DE00120300000000202051", "payment_due_days": "14"},
    )
    assert response.status_code == 422
    assert "Diese IBAN ist nicht gültig." in text_of(response)
    db.session.expire_all()
    assert tenant.iban is None


def test_the_bank_screen_is_for_admins(client, login, tenant, clerk):
    login(clerk)
    assert client.get(f"/{tenant.slug}/admin/bank").status_code == 403


def test_the_booking_page_links_the_invoice(client, login, tenant, citizen, booked):
    login(citizen)
    page = client.get(f"/{tenant.slug}/bookings/{booked.id}").get_data(as_text=True)
    assert f"/{tenant.slug}/bookings/{booked.id}/invoice" in page
    assert invoice(booked).number in page


def test_a_caretaker_sees_the_booking_but_not_the_invoice(client, login, tenant, make_user, booked):
    from booking.resources import service as resources

    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, booked.resource, caretaker)
    db.session.commit()
    login(caretaker)
    page = client.get(f"/{tenant.slug}/bookings/{booked.id}")
    assert page.status_code == 200
    assert "/invoice" not in page.get_data(as_text=True)
    assert client.get(f"/{tenant.slug}/bookings/{booked.id}/invoice").status_code == 404


def test_staff_find_the_screens_in_the_administration(client, login, tenant, admin):
    login(admin)
    page = client.get(f"/{tenant.slug}/admin/").get_data(as_text=True)
    assert f"/{tenant.slug}/admin/bank" in page
    assert f"/{tenant.slug}/staff/invoices" in page
