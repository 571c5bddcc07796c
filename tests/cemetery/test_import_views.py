"""The clerks' upload page for the register import: staff only, another
tenant's cemetery is a 404, a dry run shows the report, the import re-reads
the uploaded file, bad files are a 422 (too large: 413) and write nothing."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.tenants.service import create_tenant
from cemetery.models import Burial, Cemetery, GraveRight, Plot
from tests.cemetery.test_import import EXAMPLE, GOOD, csv_bytes
from tests.conftest import PASSWORD

URL = "/musterhausen/cemeteries/import/"


def total() -> int:
    return sum(
        db.session.scalar(select(func.count()).select_from(m)) for m in (Plot, GraveRight, Burial)
    )


def post(client, cemetery, data: bytes, name: str = "register.csv", import_now: bool = False):
    """A multipart upload, encoded here (werkzeug's test client leaves the
    temporary file of a large body open)."""
    boundary = "----importtest7a1f"
    fields = {"cemetery_id": str(cemetery.id)} | ({"import_now": "y"} if import_now else {})
    body = io.BytesIO()
    for key, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    body.write(data)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return client.post(
        URL,
        data=body.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_anonymous_is_sent_to_login(client, cemetery):
    response = client.get(URL)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_without_the_role_403(client, login, cemetery, citizen, funeral_home):
    for user in (citizen, funeral_home):
        login(user)
        assert client.get(URL).status_code == 403
        assert post(client, cemetery, csv_bytes(*GOOD), import_now=True).status_code == 403
        client.post("/account/logout")
    assert total() == 0


def test_page_lists_the_cemeteries(client, login, clerk, cemetery):
    login(clerk)
    response = client.get(URL + f"?cemetery_id={cemetery.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Friedhof Musterhausen" in page and 'enctype="multipart/form-data"' in page


def test_another_tenants_cemetery_is_404(
    client, login, clerk, cemetery, make_tenant, make_cemetery
):
    other = make_tenant("nachbarort")
    foreign = make_cemetery("Friedhof Nachbarort", of_tenant=other)
    login(clerk)
    assert client.get(URL + f"?cemetery_id={foreign.id}").status_code == 404
    assert post(client, foreign, csv_bytes(*GOOD), import_now=True).status_code == 404
    assert client.get(URL + "?cemetery_id=99999999999").status_code == 404
    assert total() == 0


def test_clerk_of_another_tenant_403(client, login, cemetery, make_tenant, make_user):
    other = make_tenant("nachbarort")
    stranger = make_user("clerk@nachbarort.example", tenant=other, roles=("clerk",))
    login(stranger)
    assert client.get(URL).status_code == 403
    assert post(client, cemetery, csv_bytes(*GOOD), import_now=True).status_code == 403


def test_dry_run_shows_the_report_then_import_rereads_the_file(client, login, clerk, cemetery):
    login(clerk)
    response = post(client, cemetery, csv_bytes(*GOOD))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Probelauf: die Datei ist fehlerfrei" in page
    assert "Grabstätte B-04-12 neu (Wahlgrab)" in page and "Hans Muster" in page
    assert re.search(r'<input[^>]* checked [^>]*name="import_now"', page)
    assert total() == 0
    response = post(client, cemetery, csv_bytes(*GOOD), import_now=True)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/musterhausen/cemeteries/{cemetery.id}")
    assert db.session.scalar(select(func.count()).select_from(Burial)) == 3


def test_a_bad_file_on_import_writes_nothing(client, login, clerk, cemetery):
    login(clerk)
    bad = csv_bytes(*GOOD, "B;04;14;Familiengruft;;;;;;;;;")
    response = post(client, cemetery, bad, import_now=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nichts wurde übernommen" in page and '<th scope="row">6</th>' in page
    assert "Familiengruft" in page
    assert total() == 0


def test_malformed_files_are_422(client, login, clerk, cemetery):
    login(clerk)
    cases = {
        "junk.csv": bytes(range(256)) * 40,
        "empty.csv": b"",
        "headers.csv": b"Name;Vorname;Telefon\r\nMuster;Erika;0123\r\n",
        "broken.xlsx": b"PK\x03\x04" + b"\x00garbage" * 100,
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    }
    for name, data in cases.items():
        response = post(client, cemetery, data, name=name, import_now=True)
        assert response.status_code == 422, name
        assert "Die Datei hat Fehler" in response.get_data(as_text=True) or name == "empty.csv"
    assert total() == 0


def test_no_file_is_422(client, login, clerk, cemetery):
    login(clerk)
    response = client.post(
        URL, data={"cemetery_id": str(cemetery.id)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Bitte eine Datei wählen." in response.get_data(as_text=True)


def test_larger_than_the_site_limit_is_accepted_but_10_mb_is_413(client, login, clerk, cemetery):
    login(clerk)
    rows = EXAMPLE.read_bytes()
    big = rows + b"\r\n" * (2 * 1024 * 1024)  # 2 MB: blank lines are skipped
    assert post(client, cemetery, big).status_code == 200
    huge = b"Feld;Nummer;Grabart\r\n" + b"\r\n" * (10 * 1024 * 1024)
    assert post(client, cemetery, huge, import_now=True).status_code == 413
    larger = huge + b" " * (200 * 1024)  # past the whole request limit
    assert post(client, cemetery, larger, import_now=True).status_code == 413
    assert total() == 0


def test_upload_needs_the_csrf_token(csrf_app):
    tenant = create_tenant("musterhausen", "Musterhausen")
    clerk = accounts.create_user("clerk@example.org", PASSWORD, confirmed=True)
    accounts.grant_role(tenant, None, clerk, "clerk")
    cemetery = Cemetery(tenant_id=tenant.id, name="Friedhof")
    db.session.add(cemetery)
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/account/login", data={"email": clerk.email, "password": PASSWORD, "csrf_token": token}
    )
    page = client.get(URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"cemetery_id": str(cemetery.id), "import_now": "y"}
    response = client.post(
        URL,
        data={**form, "file": (io.BytesIO(csv_bytes(*GOOD)), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Plot)) == 0
    response = client.post(
        URL,
        data={**form, "csrf_token": token, "file": (io.BytesIO(csv_bytes(*GOOD)), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Plot)) == 3


def test_no_cemetery_chosen_is_422(client, login, clerk, cemetery):
    login(clerk)
    response = client.post(
        URL,
        data={"file": (io.BytesIO(csv_bytes(*GOOD)), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Bitte einen Friedhof wählen." in response.get_data(as_text=True)
    assert total() == 0


def test_report_page_renders_problems_in_a_table(client, login, clerk, cemetery):
    login(clerk)
    bad = csv_bytes(*GOOD, "B;04;14;Familiengruft;;;;;;;;;", "B;04;15;Wahlgrab;;;;;;xx;;;")
    page = post(client, cemetery, bad).get_data(as_text=True)
    assert "<caption>Zeilen mit Fehlern</caption>" in page
    assert '<th scope="row">6</th>' in page and '<th scope="row">7</th>' in page
    assert '<th scope="row">2</th>' not in page  # clean rows are not listed
    assert "2 Fehler" in page or "3 Fehler" in page
