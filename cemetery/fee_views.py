"""The cemetery fee schedule (Friedhofsgebühren) for admins."""

from flask import Blueprint

bp = Blueprint("cemetery_fees", __name__, url_prefix="/<tenant>/admin/cemetery-fees")
