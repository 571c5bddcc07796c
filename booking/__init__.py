"""Kommunalbuchung: community halls and cemeteries for several municipalities."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from booking import logs
from config import settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Wire config → logging → extensions → blueprints → error handlers → CLI,
    then validate the configuration. No database work happens here."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(settings.load(config))

    logs.configure(app.config["LOG_LEVEL"])

    from booking import models, web  # noqa: F401  (models: every table registered)
    from booking.accounts import service as accounts_service
    from booking.extensions import babel, csrf, db, limiter, login_manager, migrate
    from booking.feeds import lifecycle  # noqa: F401  (subscriptions die with access)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    web.init_app(app)
    accounts_service.configure_password_hashing(
        app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"]
    )

    from booking.accounts.views import bp as accounts_bp
    from booking.accounts.views import orgs_bp
    from booking.admin.views import bp as admin_bp
    from booking.api import bp as api_bp
    from booking.api.busy import public_bp as api_public_bp
    from booking.feeds.subscription_views import bp as subscriptions_bp
    from booking.feeds.views import bp as feeds_bp
    from booking.fees import invoice_views  # noqa: F401  (routes on reservations, staff, admin)
    from booking.fees import views as fees_views  # noqa: F401  (routes on resources_admin)
    from booking.health import bp as health_bp
    from booking.payments.views import admin_bp as payments_admin_bp
    from booking.payments.views import bp as payments_bp
    from booking.reservations.caretaker_views import caretaker_bp
    from booking.reservations.staff_views import staff_bp
    from booking.reservations.views import bp as reservations_bp
    from booking.resources import school_holiday_views  # noqa: F401  (routes on resources_admin)
    from booking.resources.views import admin_bp as resources_admin_bp
    from booking.resources.views import bp as resources_bp
    from booking.tenants.views import bp as tenants_bp
    from booking.tenants.views import public_bp
    from cemetery.burial_views import bp as burials_bp
    from cemetery.fee_views import bp as cemetery_fees_bp
    from cemetery.import_views import bp as cemetery_import_bp
    from cemetery.map_views import bp as cemetery_map_bp
    from cemetery.portal_views import bp as family_bp
    from cemetery.search_views import bp as grave_search_bp
    from cemetery.views import bp as cemetery_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(tenants_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(cemetery_import_bp)
    app.register_blueprint(cemetery_bp)
    app.register_blueprint(cemetery_map_bp)
    app.register_blueprint(burials_bp)
    app.register_blueprint(grave_search_bp)
    app.register_blueprint(family_bp)
    app.register_blueprint(cemetery_fees_bp)
    app.register_blueprint(resources_bp)
    app.register_blueprint(resources_admin_bp)
    app.register_blueprint(reservations_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(caretaker_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(payments_admin_bp)
    app.register_blueprint(api_public_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)

    from booking import errors, transaction

    errors.init_app(app)
    transaction.init_app(app)

    from booking import cli

    cli.init_app(app)

    settings.validate(app.config)
    if app.config["SECRET_KEY_GENERATED"]:
        web.warn_once_about_the_secret_key(app)
    from booking.jobs import scheduler

    scheduler.start_with_dev_server(app)
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
