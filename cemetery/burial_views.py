"""Burial appointments: the funeral homes' portal, the clerks' queue, the day sheet (Tageszettel)."""

from flask import Blueprint

bp = Blueprint("burials", __name__, url_prefix="/<tenant>/burials")
