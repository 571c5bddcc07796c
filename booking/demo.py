"""``flask demo seed``: a demo municipality to click through."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.resources import service as resources
from booking.tenants.models import Tenant
from booking.tenants.service import create_tenant

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_SLUG = "musterhausen"
DEMO_PASSWORD = "demo-passwort-2026"
DEMO_ACCOUNTS = (
    ("admin@musterhausen.example", "Anna Admin", "admin"),
    ("sachbearbeitung@musterhausen.example", "Sven Sachbearbeiter", "clerk"),
    ("hausmeister@musterhausen.example", "Hans Hausmeister", "caretaker"),
    ("bestatter@musterhausen.example", "Berta Bestatterin", "funeral_home"),
    ("verein@musterhausen.example", "Vera Vereinsvorsitzende", None),
)


def seed() -> list[tuple[str, str, str | None]]:
    """Create the demo municipality with its accounts; returns the accounts."""
    tenant = create_tenant(DEMO_SLUG, "Gemeinde Musterhausen", "Europe/Berlin", "HE")
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        user = accounts.create_user(email, DEMO_PASSWORD, name=name, confirmed=True)
        users[email] = user
        if role:
            accounts.grant_role(tenant, None, user, role)
    accounts.create_organisation(
        tenant, users["verein@musterhausen.example"], name="TSV Musterhausen 1890 e. V."
    )
    resources.seed_demo_resources(tenant, users["hausmeister@musterhausen.example"])
    return list(DEMO_ACCOUNTS)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when a municipality exists.")
def seed_command(if_empty: bool) -> None:
    """Create the demo municipality 'musterhausen' and print its accounts."""
    demo_present = db.session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_SLUG))
    if demo_present is None and if_empty and db.session.scalar(select(Tenant.id).limit(1)):
        click.echo("The database holds municipalities already: no demo data added.")
        return
    if demo_present is None:
        seed()
        db.session.commit()
    click.echo(f"Demo municipality: /{DEMO_SLUG}/  — accounts (password {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_ACCOUNTS:
        click.echo(f"  {email:<40} {role or 'citizen / club member'}")
