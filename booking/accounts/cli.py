"""``flask users create|token|confirm``: accounts and roles from the command line."""

import click

from booking.accounts import service
from booking.accounts.models import ROLES
from booking.core import DomainError
from booking.tenants.cli import fail
from booking.tenants.service import get_tenant_by_slug
from booking.transaction import CommandGroup

users_cli = CommandGroup("users", help="User accounts, roles and API tokens.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True)
@click.option("--name", default="")
@click.option("--tenant", "tenant_slug", help="Municipality slug for --role.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLES),
    help="Role in --tenant; repeat the option for several roles.",
)
def create(
    email: str, password: str, name: str, tenant_slug: str | None, roles: tuple[str, ...]
) -> None:
    """Add a user (confirmed), or add roles to an existing one."""
    if bool(tenant_slug) != bool(roles):
        raise click.UsageError("--tenant and --role go together.")
    tenant = None
    if tenant_slug:
        tenant = get_tenant_by_slug(tenant_slug)
        if tenant is None:
            raise click.ClickException(f"No municipality with slug {tenant_slug!r}.")
    try:
        user = service.find_user(email)
        created = user is None
        if user is None:
            user = service.create_user(email, password, name=name, confirmed=True)
        for role in roles:
            service.grant_role(tenant, None, user, role)
    except DomainError as error:
        fail(error)
    what = "Created user" if created else "User exists:"
    click.echo(
        f"{what} {user.email} (id {user.id})"
        + (f", roles {', '.join(roles)} in {tenant_slug}" if roles else "")
    )


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label shown on the profile page.")
def token(email: str, name: str) -> None:
    """Print a new API token as the last line."""
    user = service.find_user(email)
    if user is None:
        raise click.ClickException(f"No user {email!r}.")
    _token, plain = service.create_api_token(user, name)
    click.echo(f"API token for {user.email} (shown once):")
    click.echo(plain)


@users_cli.command("confirm")
@click.argument("email")
def confirm(email: str) -> None:
    """Mark an address as confirmed (for operators while no SMTP server is
    set up: account mail is never shown to a municipality's staff)."""
    user = service.find_user(email)
    if user is None:
        raise click.ClickException(f"No user {email!r}.")
    service.mark_confirmed(user)
    click.echo(f"Confirmed {user.email} (id {user.id})")
