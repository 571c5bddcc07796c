"""The cemetery pages of a municipality."""

from flask import Blueprint, g, render_template

from booking.extensions import db
from booking.tenants.service import get_scoped, scoped
from cemetery.models import Cemetery

bp = Blueprint("cemetery", __name__, url_prefix="/<tenant>/cemeteries")


@bp.get("/")
def index():
    cemeteries = db.session.scalars(scoped(Cemetery, g.tenant).order_by(Cemetery.name)).all()
    return render_template("cemetery/index.html", cemeteries=cemeteries)


@bp.get("/<int:cemetery_id>")
def detail(cemetery_id: int):
    return render_template(
        "cemetery/detail.html", cemetery=get_scoped(Cemetery, g.tenant, cemetery_id)
    )
