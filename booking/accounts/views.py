from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.get("/login")
def login():
    return "TODO"


@bp.post("/logout")
def logout():
    return "TODO"


@bp.get("/register")
def register():
    return "TODO"


@bp.get("/profile")
def profile():
    return "TODO"


@bp.get("/<tenant>/organisations")
def organisations():
    return "TODO"
