"""A holder written twice is one contact: name and address compared without
case, German included, on both databases — and never across municipalities."""

from __future__ import annotations

import sqlite3

import pytest
from flask_migrate import upgrade
from sqlalchemy import insert, select

from booking.core import utcnow
from booking.extensions import db
from booking.tenants.service import create_tenant
from cemetery.models import Contact, contact_key
from cemetery.rights import find_or_create_contact
from tests.conftest import make_app

SAME = [
    ({"name": "Hedwig Müller"}, {"name": "HEDWIG MÜLLER"}),
    ({"name": "Jürgen Weiß"}, {"name": "JÜRGEN WEISS"}),
    ({"name": "Hans  Müller "}, {"name": "hans müller"}),
    (
        {"name": "Ölaf Groß", "street": "Lindenstraße 3", "postcode": "35390", "city": "Gießen"},
        {"name": "ÖLAF GROSS", "street": "LINDENSTRASSE 3", "postcode": "35390", "city": "GIESSEN"},
    ),
]
OTHER = [
    ({"name": "Hedwig Müller"}, {"name": "Hedwig Möller"}),
    ({"name": "Jürgen Weiß", "city": "Gießen"}, {"name": "Jürgen Weiß", "city": "Wetzlar"}),
    ({"name": "Jürgen Weiß", "city": "Gießen"}, {"name": "Jürgen Weiß"}),
]


@pytest.mark.parametrize(("first", "second"), SAME + [(b, a) for a, b in SAME])
def test_the_same_person_written_otherwise_is_one_contact(app, tenant, first, second):
    known = find_or_create_contact(tenant, **first)
    db.session.commit()
    assert find_or_create_contact(tenant, **second).id == known.id


@pytest.mark.parametrize(("first", "second"), OTHER)
def test_another_name_or_address_is_another_contact(app, tenant, first, second):
    known = find_or_create_contact(tenant, **first)
    db.session.commit()
    assert find_or_create_contact(tenant, **second).id != known.id


def test_another_municipalitys_contact_is_never_found(app, tenant, make_tenant):
    there = make_tenant("dort")
    theirs = find_or_create_contact(there, name="Hedwig Müller", email="h@example.org")
    db.session.commit()
    ours = find_or_create_contact(tenant, name="HEDWIG MÜLLER")
    assert ours.id != theirs.id and ours.email is None


def test_a_contact_inserted_in_bulk_is_keyed_too(app, tenant):
    """The import and the benchmarks insert contacts without the ORM's unit
    of work: the column's default keys them."""
    db.session.execute(
        insert(Contact),
        [
            {"tenant_id": tenant.id, "name": "GRETE GROSS", "created_at": utcnow()},
            {
                "tenant_id": tenant.id,
                "name": "Paul Klein",
                "city": "Gießen",
                "created_at": utcnow(),
            },
        ],
    )
    db.session.commit()
    grete = db.session.scalar(select(Contact).where(Contact.name == "GRETE GROSS"))
    assert find_or_create_contact(tenant, name="Grete Groß").id == grete.id
    paul = db.session.scalar(select(Contact).where(Contact.name == "Paul Klein"))
    assert find_or_create_contact(tenant, name="paul klein", city="GIESSEN").id == paul.id


def test_a_corrected_name_is_found_under_the_new_name(app, tenant):
    contact = find_or_create_contact(tenant, name="Hedwig Mueller")
    db.session.commit()
    contact.name = "Hedwig Müller"
    db.session.commit()
    assert find_or_create_contact(tenant, name="HEDWIG MÜLLER").id == contact.id


def test_the_migration_keys_the_contacts_written_before(tmp_path):
    """0015 fills the key of every existing contact, so a holder imported
    before is found afterwards."""
    path = tmp_path / "before.db"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0014")
        tenant_id = create_tenant("vorher", "Gemeinde Vorher").id  # its table is as at 0014
        db.session.commit()
        db.engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO cemetery_contact (tenant_id, name, street, city, created_at) "
            "VALUES (?, 'JÜRGEN WEISS', 'Lindenstraße 3', 'Gießen', '2020-01-01 00:00:00')",
            (tenant_id,),
        )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    with sqlite3.connect(path) as raw:
        (key,) = raw.execute("SELECT match_key FROM cemetery_contact").fetchone()
    assert key == contact_key("Jürgen Weiß", "LINDENSTRASSE 3", None, "GIESSEN")


def test_the_longest_name_and_address_fit_the_key(app, tenant):
    """Folding can lengthen a text (ß → ss); the key is a hash of fixed length."""
    longest = {"name": "ß" * 200, "street": "Ä" * 200, "postcode": "1" * 10, "city": "ẞ" * 100}
    contact = find_or_create_contact(tenant, **longest)
    db.session.commit()
    assert len(contact.match_key) == 64
    assert find_or_create_contact(tenant, **longest).id == contact.id
