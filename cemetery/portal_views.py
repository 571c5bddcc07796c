"""The family portal: a holder's graves, the right's end, applying for an extension and paying it."""

from flask import Blueprint

bp = Blueprint("family", __name__, url_prefix="/<tenant>/my-graves")
