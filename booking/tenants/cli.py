"""``flask tenants create|list``: the municipalities of this installation."""

import click

from booking.core import DomainError
from booking.tenants import service
from booking.transaction import CommandGroup

tenants_cli = CommandGroup("tenants", help="Municipalities (Kommunen).")


def fail(error: DomainError) -> None:
    lines = [str(error.message)]
    for field, messages in error.details.get("fields", {}).items():
        lines += [f"  {field}: {m}" for m in messages]
    raise click.ClickException("\n".join(lines))


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name, e.g. 'Gemeinde Musterhausen'.")
@click.option("--timezone", default="Europe/Berlin", show_default=True)
@click.option("--state", default="HE", show_default=True, help="Bundesland (public holidays).")
def create(slug: str, name: str, timezone: str, state: str) -> None:
    """Add a municipality reachable under /SLUG/."""
    try:
        tenant = service.create_tenant(slug, name, timezone, state.upper())
    except DomainError as error:
        fail(error)
    click.echo(f"Created municipality {tenant.slug!r} ({tenant.name}), id {tenant.id}.")


@tenants_cli.command("list")
def list_() -> None:
    """List the municipalities."""
    for tenant in service.list_tenants():
        click.echo(f"{tenant.slug}\t{tenant.name}\t{tenant.timezone}\t{tenant.state}")
