"""``flask cemetery …``: taking over an existing register."""

from __future__ import annotations

from flask.cli import AppGroup

cemetery_cli = AppGroup("cemetery", help="Cemetery register.")
