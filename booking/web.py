"""Request-wide wiring: tenant from the URL, locale and time zone, security
headers, template filters, safe redirects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request, session
from flask_babel import format_currency, gettext
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from booking.accounts.models import User
from booking.audit.labels import action_label, object_label
from booking.core import has_forbidden_characters, printable
from booking.errors import API_PATH, error_json, render_error, wants_json
from booking.extensions import db, login_manager
from booking.i18n import (
    browser_language,
    current_language,
    date_example,
    datetime_example,
    formatting_locale,
    time_example,
)
from booking.logs import redact
from booking.resources.models import Resource
from booking.tenants import localtime
from booking.tenants.models import Tenant
from booking.tenants.service import get_tenant_by_slug, is_key
from cemetery.access import holds_graves

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; it is translated where it is shown."""
    return message


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, jobs: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # The language ("de"/"en") is the visitor's choice: saved on the account,
    # the switcher, then Accept-Language. Its region (en_GB/en_US) always comes
    # from Accept-Language; the "en" catalogue serves both via gettext fallback.
    user = current_user if current_user and current_user.is_authenticated else None
    saved = (user.locale or "").replace("-", "_").split("_")[0] if user is not None else ""
    if saved in languages:
        language = saved
    elif session.get("lang") in languages:
        language = session["lang"]
    else:
        language = browser_language(languages) or "de"
    return formatting_locale(language)


def select_timezone() -> str:
    tenant = getattr(g, "tenant", None)
    return tenant.timezone if tenant is not None else "Europe/Berlin"


def is_safe_redirect(target: str | None) -> bool:
    """Only paths on this site: no scheme change, no other host, no ``//evil``."""
    if not target or "\\" in target or any(c in target for c in "\r\n\t"):
        return False
    base = urlsplit(request.host_url)
    joined = urlsplit(urljoin(request.host_url, target))
    return (
        target.startswith("/")
        and not target.startswith("//")
        and joined.scheme in ("http", "https")
        and joined.netloc == base.netloc
    )


def forbidden_input() -> str | None:
    """The name of the first query-string or form field whose name or value
    holds a character no text may hold (``core.has_forbidden_characters``),
    or None. Form bodies of the API are not read here: its JSON bodies pass
    ``api.base.json_body``."""
    sources = [request.args]
    if not API_PATH.match(request.path):
        sources.append(request.form)
    for source in sources:
        for name, values in source.lists():
            if has_forbidden_characters(name) or any(
                has_forbidden_characters(value) for value in values
            ):
                return printable(name)
    return None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def raw_body(view: Callable) -> Callable:
    """Mark a view outside the API that reads a body other than a form (a
    payment provider's webhook); every other page takes forms only."""
    view.raw_body = True  # type: ignore[attr-defined]
    return view


def is_foreign_body() -> bool:
    """A page (not the API) was sent a body that is no HTML form, e.g. JSON:
    Flask-WTF would read it as form data past the checks forms get."""
    if API_PATH.match(request.path) or request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "raw_body", False):
        return False
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    return bool(has_body) and request.mimetype not in FORM_TYPES


def warn_once_about_the_secret_key(app: Flask) -> None:
    """On the first request (not on every CLI command): say that sessions are
    signed with a random key of this process."""
    warned: list[bool] = []

    @app.before_request
    def _warn() -> None:
        if not warned:
            warned.append(True)
            log.warning(
                "SECRET_KEY is not set: this process signs sessions with a random key "
                "(they end when it stops, and several processes cannot share them). "
                "Set SECRET_KEY for anything but trying the service out."
            )


def money(cents: int | None, currency: str = "EUR") -> str:
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, currency)


def _session_id(user_id: object) -> tuple[int, int] | None:
    """``User.get_id()`` as Flask-Login keeps it in the session: "<id>:<session
    version>", or None for anything else."""
    try:
        uid, version = (int(part) for part in str(user_id).split(":"))
    except ValueError:
        return None
    return uid, version


def load_tenant(
    slug: str, user_id: int | None = None, resource_id: object = None
) -> tuple[Tenant | None, User | None, Resource | None]:
    """The tenant a URL names with, in the same statement, what the request
    will ask for next: with ``user_id`` (a signed-in person) their account
    and roles, with ``resource_id`` (a URL naming a resource) that resource
    of the tenant, into the session, where ``get_scoped`` finds it without a
    query while the caller holds it (the session keeps only weak
    references). A round trip less for each. The account is not checked
    here (Flask-Login's loader checks its session version), nor the
    resource (its view does, as for any other)."""
    resource_id = resource_id if is_key(resource_id) else None
    if user_id is None and resource_id is None:
        return get_tenant_by_slug(slug), None, None
    rows = (
        db.session.execute(
            _tenant_with_account_and_resource(),
            {"slug": slug, "user_id": user_id, "resource_id": resource_id},
        )
        .unique()
        .all()
    )  # all rows: one per role, each filling the account's roles
    if not rows:
        return None, None, None
    tenant, user, resource = rows[0]
    return tenant, user, resource


@lru_cache(maxsize=1)
def _tenant_with_account_and_resource():
    """Built once (every request runs it): the tenant by slug, the account by
    id with its roles (which nearly every page asks, if only for its menu),
    the resource by id if it is the tenant's."""
    return (
        select(Tenant, User, Resource)
        .select_from(Tenant)
        .outerjoin(User, User.id == bindparam("user_id"))
        .outerjoin(
            Resource, (Resource.id == bindparam("resource_id")) & (Resource.tenant_id == Tenant.id)
        )
        .options(joinedload(User.memberships))
        .where(Tenant.slug == bindparam("slug"))
    )


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _pull_tenant(_endpoint, values) -> None:
        if values and "tenant" in values:
            slug = values.pop("tenant")
            if has_forbidden_characters(slug):
                abort(404)
            signed_in = _session_id(session.get("_user_id"))
            tenant, g._account, g._resource = load_tenant(
                slug, signed_in[0] if signed_in else None, values.get("resource_id")
            )
            if tenant is None:
                abort(404)
            g.tenant = tenant

    @app.before_request
    def _forms_only():
        if is_foreign_body():
            return render_error(415, gettext("Diese Seite nimmt nur Formulare entgegen."))
        return None

    @app.before_request
    def _refuse_control_characters():
        """One check for every page and query string: a field holding NUL or
        another control character (werkzeug has already replaced undecodable
        bytes) is a 400 that names the field, before any view sees it."""
        name = forbidden_input()
        if name is None:
            return None
        message = gettext(
            "Das Feld „%(name)s“ enthält unzulässige Steuerzeichen. "
            "Bitte entfernen Sie sie und senden Sie es erneut.",
            name=name,
        )
        if wants_json():
            detail = gettext("Steuerzeichen und ungültige Unicode-Zeichen sind nicht erlaubt.")
            return error_json(400, "bad_request", message, {"fields": {name: [detail]}})
        return render_error(400, message)

    @app.url_defaults
    def _add_tenant(endpoint, values) -> None:
        tenant = getattr(g, "tenant", None)
        if (
            tenant is not None
            and "tenant" not in values
            and app.url_map.is_endpoint_expecting(endpoint, "tenant")
        ):
            values["tenant"] = tenant.slug

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.context_processor
    def _template_globals() -> dict:

        tenant = getattr(g, "tenant", None)
        roles: set[str] = set()
        if tenant is not None and current_user.is_authenticated:
            roles = current_user.roles_in(tenant.id)
        return {
            "tenant": tenant,
            "tenant_roles": roles,
            # Asked only by the navigation, only for a signed-in user.
            "holds_graves": lambda: tenant is not None and holds_graves(current_user, tenant),
            "current_locale": current_language(),
            "languages": app.config["LANGUAGES"],
        }

    app.jinja_env.filters["datetime"] = localtime.datetime_filter
    app.jinja_env.filters["date"] = localtime.date_filter
    app.jinja_env.filters["day_month"] = localtime.day_month_filter
    app.jinja_env.filters["time"] = localtime.time_filter
    app.jinja_env.filters["money"] = money
    # Staff pages never show a link that acts for someone (confirmation, reset,
    # feed tokens), even if such a link reached a municipality's mail by mistake.
    app.jinja_env.filters["redact"] = redact
    app.jinja_env.globals.update(
        action_label=action_label,
        object_label=object_label,
        date_example=date_example,
        time_example=time_example,
        datetime_example=datetime_example,
    )
    app.jinja_env.add_extension("jinja2.ext.do")

    @login_manager.user_loader
    def _load_user(user_id: str):
        signed_in = _session_id(user_id)
        if signed_in is None:
            return None
        uid, version = signed_in
        user = g.pop("_account", None)  # loaded with the tenant on tenant pages
        if user is None or user.id != uid:
            user = db.session.get(User, uid)
        if user is None or user.session_version != version:
            return None
        return user

    # "basic", not "strong": a changed IP (phones switching networks) must not
    # log people out; password changes ask for the current password anyway.
    login_manager.session_protection = "basic"
    login_manager.login_view = "accounts.login"
    # A plain string (a lazy one cannot be flashed into the session); marked with N_
    # for extraction, translated per request by localize_callback.
    login_manager.login_message = N_("Bitte melden Sie sich an, um diese Seite zu sehen.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
