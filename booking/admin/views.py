from flask import Blueprint, render_template

from booking.accounts.access import role_required

bp = Blueprint("admin", __name__, url_prefix="/<tenant>/admin")


@bp.get("/")
@role_required("admin", "clerk")
def index():
    return render_template("admin/index.html")
