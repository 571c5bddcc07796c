"""The public grave search (Grabsuche)."""

from flask import Blueprint

bp = Blueprint("grave_search", __name__, url_prefix="/<tenant>/grave-search")
