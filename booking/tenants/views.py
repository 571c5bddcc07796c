"""The list of municipalities, a municipality's start page and the language switch."""

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from booking.extensions import db
from booking.resources.models import Resource
from booking.tenants.service import list_tenants, scoped
from booking.web import is_safe_redirect
from cemetery.models import Cemetery

public_bp = Blueprint("public", __name__)
bp = Blueprint("tenants", __name__, url_prefix="/<tenant>")


@public_bp.get("/")
def index():
    return render_template("tenants/index.html", tenants=list_tenants())


@public_bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "")
    if lang in ("de", "en"):
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
    target = request.form.get("next", "")
    return redirect(target if is_safe_redirect(target) else "/")


@public_bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="img/favicon.svg"), 301)


@public_bp.get("/health")
def health():
    db.session.execute(select(1))
    return {"status": "ok"}


@bp.get("/")
def home():
    resources = db.session.scalars(
        scoped(Resource, g.tenant)
        .where(Resource.parent_id.is_(None), Resource.public.is_(True))
        .order_by(Resource.name)
    ).all()
    cemeteries = db.session.scalars(scoped(Cemetery, g.tenant).order_by(Cemetery.name)).all()
    return render_template("tenants/home.html", resources=resources, cemeteries=cemeteries)
