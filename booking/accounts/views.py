"""Accounts: sign-in, registration, password reset and profile (``/account``),
and the organisations of one municipality (``/<tenant>/organisations``)."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_fresh, login_required, login_user, logout_user

from booking import privacy, throttle, transaction
from booking.accounts import access, service
from booking.accounts.access import current_actor
from booking.accounts.forms import (
    ORGANISATION_KIND_LABELS,
    ROLE_LABELS,
    AddMemberForm,
    ApiTokenForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    EmailForm,
    LoginForm,
    OrganisationForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from booking.accounts.models import Organisation
from booking.core import NotFound, ValidationFailed, utcnow
from booking.extensions import limiter
from booking.forms import flash_error, show_errors
from booking.i18n import current_language
from booking.reservations import access as bookings_access
from booking.reservations import queries as bookings_queries
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, get_tenant_by_id, get_tenant_by_slug
from booking.web import is_safe_redirect

bp = Blueprint("accounts", __name__, url_prefix="/account")
orgs_bp = Blueprint("orgs", __name__, url_prefix="/<tenant>/organisations")


def _email_and_address_key() -> str:
    """Rate-limit key: the e-mail address typed into the form together with
    the client's address. Guessing one account's password is slowed down,
    but a stranger cannot lock its owner out from elsewhere."""
    email = request.form.get("email", "").strip().lower()
    return f"email:{email}|{request.remote_addr or '?'}"


# "You already have an account" mails to one address, whoever signs up with
# it and from wherever: its owner needs none, a stranger cannot flood them.
# (Reset and confirmation mails are limited per account *and* address only,
# so that nobody can use up the owner's.)
EXISTS_MAIL_LIMIT = "3/day"


def _failed_login(response) -> bool:
    """Only failed sign-ins count (a successful one redirects)."""
    return response.status_code != 302


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _next_target() -> str | None:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else None


def _tenant_of_request(target: str | None) -> Tenant | None:
    """The municipality a visitor comes from: the ``tenant`` query argument,
    or the first segment of a (safe) ``next`` path (``/<slug>/…``)."""
    slug = request.args.get("tenant") or ""
    if not slug and target:
        slug = target.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return get_tenant_by_slug(slug) if slug else None


def _landing(user, target: str | None) -> str:
    """Where a sign-in leads: ``next``, else staff of one municipality to its
    staff start page, else the start page."""
    if target:
        return target
    start = access.staff_start(user)
    if start is not None:
        tenant = get_tenant_by_id(start[0])
        if tenant is not None:
            return url_for(start[1], tenant=tenant.slug)
    return url_for("public.index")


# --- sign-in -------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
@limiter.limit(
    "5/minute;20/hour;50/day",
    methods=["POST"],
    key_func=_email_and_address_key,
    deduct_when=_failed_login,
)
def login():
    target = _next_target()
    if request.method == "GET" and current_user.is_authenticated and login_fresh():
        return redirect(_landing(current_actor(), target))
    form = LoginForm()
    unconfirmed = None
    if form.validate_on_submit():
        try:
            user = service.log_in(form.email.data, form.password.data)
        except service.EmailNotConfirmed as error:
            transaction.fail()
            unconfirmed = form.email.data
            form.form_errors.append(str(error.message))
        except ValidationFailed as error:
            transaction.fail()
            form.form_errors.append(str(error.message))
        else:
            login_user(user, remember=form.remember.data)
            flash(_("Sie sind angemeldet."), "success")
            return redirect(_landing(user, target))
    came_from = _tenant_of_request(target)
    return render_template(
        "accounts/login.html",
        form=form,
        unconfirmed=unconfirmed,
        next=target,
        came_from=came_from,
    )


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Every session and remember-me cookie of the person ends, also
        # copies of this one.
        service.end_sessions(current_actor())
    logout_user()
    flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("public.index"))


# --- registration and e-mail confirmation ----------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for(".profile"))
    form = RegisterForm()
    # A booking page the visitor came from: back there after confirming.
    target = _next_target()
    if request.method == "GET":
        came_from = _tenant_of_request(target)
        form.tenant.data = came_from.slug if came_from else ""
    if form.validate_on_submit():
        tenant = get_tenant_by_slug(form.tenant.data) if form.tenant.data else None
        try:
            user, created = service.register(
                form.email.data,
                form.password.data,
                name=form.name.data,
                locale=current_language(),
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            # The same answer for a new and a known address; the owner of a
            # known address gets a note instead.
            session["registered"] = _registration_mark(form.email.data)
            if created:
                service.send_confirmation(_secret(), user, tenant, next_path=target)
            elif throttle.allow(EXISTS_MAIL_LIMIT, f"exists-mail:{user.id}"):
                service.send_already_registered(user, tenant)
            flash(
                _(
                    "Fast geschafft: Wir haben Ihnen eine E-Mail geschickt. Bitte bestätigen "
                    "Sie Ihre Adresse über den Link darin."
                ),
                "success",
            )
            return redirect(url_for(".login", next=target))
    return render_template("accounts/register.html", form=form, next=target)


def _registration_mark(email: str) -> str:
    """What the registering browser keeps to be recognised when it opens the
    confirmation link. The same for a new and a known address (the session
    cookie is readable), and it reveals nothing the visitor did not type."""
    digest = hmac.new(_secret().encode(), f"registered:{email.strip().lower()}".encode(), "sha256")
    return digest.hexdigest()[:32]


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm an address. Opened in the browser that registered, one click
    (a POST: mail scanners that follow links confirm nothing). Opened anywhere
    else, the reader sets the password: whoever registered someone else's
    address cannot sign in with a password of their own."""
    try:
        user = service.user_for_confirm_token(_secret(), token)
    except ValidationFailed as error:
        transaction.fail()
        return render_template(
            "accounts/link_failed.html", message=error.message, resend_form=EmailForm()
        ), 400
    target = _next_target()  # from the mail's link: the page to return to
    if user.email_confirmed_at is not None:
        flash(_("Ihre E-Mail-Adresse ist schon bestätigt. Sie können sich anmelden."), "info")
        return redirect(url_for(".login", next=target))
    same_browser = hmac.compare_digest(
        session.get("registered", ""), _registration_mark(user.email)
    )
    form = ConfirmForm() if same_browser else ResetPasswordForm()
    if form.validate_on_submit():
        try:
            if same_browser:
                service.mark_confirmed(user)
            else:
                service.confirm_with_password(user, form.password.data)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            session.pop("registered", None)
            flash(
                _("Danke! Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden."),
                "success",
            )
            return redirect(url_for(".login", next=target))
    return render_template("accounts/confirm.html", form=form, same_browser=same_browser)


@bp.post("/resend-confirmation")
@limiter.limit("5/minute")
@limiter.limit("5/hour", key_func=_email_and_address_key)
def resend_confirmation():
    form = EmailForm()
    if not form.validate_on_submit():
        flash(_("Bitte geben Sie Ihre E-Mail-Adresse an."), "error")
        return redirect(url_for(".login"))
    user = service.find_unconfirmed_user(form.email.data)
    if user is not None:
        service.send_confirmation(_secret(), user)
    else:
        service.queue_decoy("account_confirm")
    flash(
        _(
            "Falls zu dieser Adresse ein unbestätigtes Konto besteht, haben wir den "
            "Bestätigungslink erneut geschickt."
        ),
        "info",
    )
    return redirect(url_for(".login"))


# --- forgotten password -------------------------------------------------------------


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"])
@limiter.limit("5/hour", methods=["POST"], key_func=_email_and_address_key)
def forgot():
    form = EmailForm()
    if form.validate_on_submit():
        user = service.find_active_user(form.email.data)
        if user is not None:
            service.send_reset(_secret(), user)
        else:
            service.queue_decoy("account_reset")
        # The same answer whether or not the address has an account.
        flash(
            _(
                "Falls zu dieser Adresse ein Konto besteht, haben wir Ihnen einen Link zum "
                "Zurücksetzen des Passworts geschickt. Er gilt eine Stunde."
            ),
            "info",
        )
        return redirect(url_for(".login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        user = service.user_for_reset_token(_secret(), token)
    except ValidationFailed as error:
        return render_template("accounts/link_failed.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(user, form.password.data)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            logout_user()
            flash(
                _(
                    "Ihr Passwort ist geändert. Alle Sitzungen und API-Tokens sind beendet. "
                    "Bitte melden Sie sich mit dem neuen Passwort an."
                ),
                "success",
            )
            return redirect(url_for(".login"))
    return render_template("accounts/reset.html", form=form)


# --- profile and API tokens -----------------------------------------------------------


def _render_profile(
    *,
    profile_form: ProfileForm | None = None,
    password_form: ChangePasswordForm | None = None,
    token_form: ApiTokenForm | None = None,
    delete_form: DeleteAccountForm | None = None,
    new_token: str | None = None,
):
    user = current_actor()
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, obj=user)
        profile_form.locale.data = user.locale or current_language()
    response = current_app.make_response(
        render_template(
            "accounts/profile.html",
            profile_form=profile_form,
            password_form=password_form or ChangePasswordForm(prefix="pw", formdata=None),
            token_form=token_form or ApiTokenForm(prefix="token", formdata=None),
            delete_form=delete_form or DeleteAccountForm(prefix="delete", formdata=None),
            tokens=service.api_tokens(user),
            roles=service.roles_by_tenant(user),
            role_labels=ROLE_LABELS,
            new_token=new_token,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    if request.method == "GET":
        return _render_profile()
    form = ProfileForm()
    if form.validate_on_submit():
        service.update_profile(current_actor(), name=form.name.data, locale=form.locale.data)
        session["lang"] = form.locale.data
        refresh()  # the confirmation already in the new language
        flash(_("Ihre Angaben sind gespeichert."), "success")
        return redirect(url_for(".profile"))
    return _render_profile(profile_form=form)


@bp.post("/profile/password")
@limiter.limit("10/minute")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        user = current_actor()
        try:
            service.change_password(user, form.current_password.data, form.password.data)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            login_user(user)  # this session follows the new session version
            flash(
                _(
                    "Ihr Passwort ist geändert. Andere Sitzungen sind abgemeldet und Ihre "
                    "API-Tokens widerrufen."
                ),
                "success",
            )
            return redirect(url_for(".profile"))
    return _render_profile(password_form=form)


@bp.get("/data.json")
@login_required
def data_export():
    """Everything stored about the signed-in person, as a JSON download."""
    response = jsonify(privacy.export(current_actor()))
    response.headers["Content-Disposition"] = 'attachment; filename="meine-daten.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/delete")
@limiter.limit("5/hour")
@login_required
def delete_account():
    form = DeleteAccountForm(prefix="delete")
    if form.validate_on_submit():
        try:
            privacy.delete_account(current_actor(), form.password.data)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            logout_user()
            flash(_("Ihr Konto ist gelöscht."), "success")
            return redirect(url_for("public.index"))
    return _render_profile(delete_form=form)


@bp.post("/tokens")
@login_required
def create_token():
    form = ApiTokenForm(prefix="token")
    if form.validate_on_submit():
        _token, plain = service.create_api_token(current_actor(), form.token_name.data)
        # Shown on this page once; never put into the session or a flash.
        return _render_profile(new_token=plain)
    return _render_profile(token_form=form)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    service.revoke_api_token(current_actor(), token_id)
    flash(_("Das Token ist widerrufen und funktioniert nicht mehr."), "success")
    return redirect(url_for(".profile"))


@bp.post("/tokens/revoke-all")
@login_required
def revoke_all_tokens():
    count = service.revoke_all_api_tokens(current_actor())
    flash(
        ngettext("%(num)d Token ist widerrufen.", "%(num)d Tokens sind widerrufen.", count),
        "success",
    )
    return redirect(url_for(".profile"))


# --- organisations (per municipality) --------------------------------------------------


def _visible_organisation(org_id: int) -> Organisation:
    """The organisation, if the person may see it; else not found, as for
    another municipality's (its existence is nobody else's business)."""
    organisation = get_scoped(Organisation, g.tenant, org_id)
    if not access.can_view_organisation(current_actor(), organisation):
        raise NotFound(_("Nicht gefunden."))
    return organisation


def _render_detail(organisation: Organisation, form: AddMemberForm | None = None):
    members = sorted(
        organisation.members, key=lambda m: (not m.is_manager, m.user.display_name.lower())
    )
    me = current_actor()
    can_manage = access.can_manage_organisation(me, organisation)
    club_bookings = bookings_queries.bookings_of_organisation(g.tenant, organisation.id)
    return render_template(
        "accounts/organisation_detail.html",
        organisation=organisation,
        members=members,
        can_manage=can_manage,
        bookings=bookings_queries.by_time(club_bookings, utcnow()),
        ended=bookings_queries.ENDED,
        # Plain members see the club's bookings here; their pages are for
        # the booker, the club's managers and staff.
        viewable=lambda booking: bookings_access.can_view_booking(me, booking),
        invitations=service.open_invitations(organisation) if can_manage else [],
        form=form or AddMemberForm(formdata=None),
        kind_labels=ORGANISATION_KIND_LABELS,
    )


@orgs_bp.get("/")
@login_required
def index():
    return render_template(
        "accounts/organisations.html",
        organisations=service.visible_organisations(current_actor(), g.tenant),
        invitations=service.invitations_for(current_actor(), g.tenant),
        all_of_tenant=access.sees_all_organisations(current_actor(), g.tenant),
        kind_labels=ORGANISATION_KIND_LABELS,
    )


@orgs_bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = OrganisationForm()
    form.limit_kinds(staff=access.can_enter_funeral_home(current_actor(), g.tenant))
    if form.validate_on_submit():
        try:
            organisation = service.create_organisation(
                g.tenant,
                current_actor(),
                name=form.name.data,
                kind=form.kind.data,
                is_local=form.is_local.data,
                email=form.email.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Die Organisation „%(name)s“ ist angelegt.", name=organisation.name), "success")
            return redirect(url_for(".detail", org_id=organisation.id))
    return render_template("accounts/organisation_form.html", form=form)


@orgs_bp.get("/<int:org_id>")
@login_required
def detail(org_id: int):
    return _render_detail(_visible_organisation(org_id))


@orgs_bp.post("/<int:org_id>/members")
@login_required
@limiter.limit("30/hour")
def add_member(org_id: int):
    organisation = _visible_organisation(org_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            invitation = service.invite_member(
                organisation, current_actor(), form.email.data, is_manager=form.is_manager.data
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            service.send_invitation(g.tenant, invitation, current_actor())
            # The same answer for every address: it tells nothing about accounts.
            flash(
                _(
                    "Die Einladung an %(email)s ist verschickt. Die Person gehört zur "
                    "Organisation, sobald sie die Einladung annimmt.",
                    email=invitation.email,
                ),
                "success",
            )
            return redirect(url_for(".detail", org_id=organisation.id))
    return _render_detail(organisation, form)


@orgs_bp.post("/<int:org_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_invitation(org_id: int, invitation_id: int):
    organisation = _visible_organisation(org_id)
    service.withdraw_invitation(organisation, current_actor(), invitation_id)
    flash(_("Die Einladung ist zurückgezogen."), "success")
    return redirect(url_for(".detail", org_id=org_id))


@orgs_bp.post("/invitations/<int:invitation_id>/<any(accept, decline):answer>")
@login_required
def answer_invitation(invitation_id: int, answer: str):
    invitation = service.answer_invitation(
        g.tenant, current_actor(), invitation_id, accept=answer == "accept"
    )
    name = invitation.organisation.name
    if answer == "accept":
        flash(_("Sie gehören jetzt zu „%(name)s“.", name=name), "success")
        return redirect(url_for(".detail", org_id=invitation.organisation_id))
    flash(_("Sie haben die Einladung von „%(name)s“ abgelehnt.", name=name), "info")
    return redirect(url_for(".index"))


@orgs_bp.post("/<int:org_id>/members/<int:user_id>/remove")
@login_required
def remove_member(org_id: int, user_id: int):
    organisation = _visible_organisation(org_id)
    try:
        service.remove_member(organisation, current_actor(), user_id)
    except ValidationFailed as error:
        flash_error(error)
    else:
        flash(_("Die Person gehört nicht mehr zur Organisation."), "success")
    return redirect(url_for(".detail", org_id=org_id))
