"""``flask cemetery …``: taking over an existing register.

Each command is one unit of work (``booking.transaction.CommandGroup``):
it commits when it ends normally and rolls back when it fails."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from booking.extensions import db
from booking.tenants.service import get_tenant_by_slug, in_tenant
from booking.transaction import CommandGroup
from cemetery import importer
from cemetery.models import Cemetery

cemetery_cli = CommandGroup("cemetery", help="Cemetery register.")


def choose_cemetery(tenant, cemetery_id: int | None) -> Cemetery:
    """The cemetery ``--cemetery`` names, else the tenant's only one."""
    query = select(Cemetery).where(in_tenant(Cemetery, tenant)).order_by(Cemetery.id)
    if cemetery_id is not None:
        cemetery = db.session.scalar(query.where(Cemetery.id == cemetery_id))
        if cemetery is None:
            raise click.ClickException(
                f"No cemetery with id {cemetery_id} in municipality {tenant.slug!r}."
            )
        return cemetery
    cemeteries = list(db.session.scalars(query))
    if not cemeteries:
        raise click.ClickException(f"Municipality {tenant.slug!r} has no cemetery.")
    if len(cemeteries) > 1:
        listed = ", ".join(f"{c.id} ({c.name})" for c in cemeteries)
        raise click.ClickException(f"Several cemeteries, choose one with --cemetery: {listed}.")
    return cemeteries[0]


@cemetery_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="The municipality's slug.")
@click.option(
    "--cemetery", "cemetery_id", type=int, help="The cemetery's id (default: the only one)."
)
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
def import_command(file: Path, slug: str, cemetery_id: int | None, dry_run: bool) -> None:
    """Import an existing register (XLSX or CSV): plots, grave rights, past burials.

    Prints a report per row; writes nothing when any row has a problem (and
    exits non-zero) and nothing with --dry-run."""
    tenant = get_tenant_by_slug(slug.strip().lower())
    if tenant is None:
        raise click.ClickException(f"No municipality {slug!r}.")
    cemetery = choose_cemetery(tenant, cemetery_id)
    data = file.read_bytes()
    report = importer.import_register(
        tenant, None, cemetery, data, filename=file.name, dry_run=dry_run
    )
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        db.session.rollback()
        raise click.ClickException(
            f"{report.problem_count} problem(s) in {file.name}: nothing imported."
        )
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing written.")
        return
    click.echo(f"Imported into {cemetery.name!r} (id {cemetery.id}).")
