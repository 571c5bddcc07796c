"""Registers every domain's command group."""

from flask import Flask


def init_app(app: Flask) -> None:
    from booking.accounts.cli import users_cli
    from booking.demo import demo_cli
    from booking.jobs.cli import jobs_cli
    from booking.tenants.cli import tenants_cli
    from cemetery.cli import cemetery_cli

    for group in (tenants_cli, users_cli, demo_cli, jobs_cli, cemetery_cli):
        app.cli.add_command(group)
