"""Section maps (server-rendered SVG) with the equivalent table."""

from flask import Blueprint

bp = Blueprint("cemetery_map", __name__, url_prefix="/<tenant>/cemeteries")
