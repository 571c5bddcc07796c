"""Taking over the old register: the clerks' upload page (dry run, then import)."""

from flask import Blueprint

bp = Blueprint("cemetery_import", __name__, url_prefix="/<tenant>/cemeteries/import")
