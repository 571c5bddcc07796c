"""Users, roles, organisations and API tokens: the rules, no request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import contains_eager, selectinload

from booking import transaction
from booking.accounts.access import (
    can_enter_funeral_home,
    can_manage_organisation,
    sees_all_organisations,
)
from booking.accounts.models import (
    ORGANISATION_KINDS,
    ROLES,
    ApiToken,
    Membership,
    Organisation,
    OrganisationInvitation,
    OrganisationMember,
    User,
)
from booking.audit import service as audit
from booking.core import DomainError, Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import notify, numbered_key
from booking.tenants.models import Tenant
from booking.tenants.service import in_tenant, scoped

MIN_PASSWORD_LENGTH = 10
CONFIRM_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 3600
TOKEN_PREFIX = "kb_"
# An API token's last use is written at most this often (not on every call).
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)
INVITATION_VALIDITY = timedelta(days=14)
MAX_OPEN_INVITATIONS = 50

_hasher = PasswordHasher()


def configure_password_hashing(time_cost: int, memory_cost_kib: int) -> None:
    """Argon2 cost (create_app passes ARGON2_TIME_COST / ARGON2_MEMORY_COST).
    Hashes made with other costs still verify and are upgraded on login."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)


# --- passwords ---------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("Das Passwort ist zu kurz."),
            {
                "password": [
                    lazy_ngettext(
                        "Mindestens %(num)d Zeichen.",
                        "Mindestens %(num)d Zeichen.",
                        MIN_PASSWORD_LENGTH,
                    )
                ]
            },
        )


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed(
            _l("Die E-Mail-Adresse ist ungültig."),
            {"email": [_l("Bitte eine gültige E-Mail-Adresse angeben.")]},
        ) from None


# --- users -------------------------------------------------------------------


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def find_active_user(email: str) -> User | None:
    """The account a password-reset mail goes to, if any."""
    user = find_user(email)
    return user if user is not None and user.active else None


def find_unconfirmed_user(email: str) -> User | None:
    """The account a new confirmation mail goes to, if any."""
    user = find_active_user(email)
    return user if user is not None and user.email_confirmed_at is None else None


def create_user(
    email: str,
    password: str,
    *,
    name: str = "",
    locale: str | None = None,
    confirmed: bool = False,
    now: datetime | None = None,
) -> User:
    email = normalise_email(email)
    validate_password(password)
    if find_user(email) is not None:
        raise ValidationFailed(
            _l("Diese E-Mail-Adresse ist schon registriert."),
            {"email": [_l("Diese E-Mail-Adresse ist schon registriert.")]},
        )
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        locale=locale,
        email_confirmed_at=(now or utcnow()) if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Unknown e-mail costs the same
    hashing time as a wrong password."""
    user = find_user(email)
    if user is None:
        _hasher.hash(password)
        return None
    if not check_password(user, password) or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie
    carries the old ``session_version`` and no longer loads the user."""
    user.session_version += 1


def set_password(user: User, password: str, now: datetime | None = None) -> None:
    """A new password ends every session, the pending reset link and every
    API token of the user: whoever held the old password held those too."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.reset_nonce = None
    end_sessions(user)
    revoke_all_api_tokens(user, now)


class EmailNotConfirmed(DomainError):
    """The credentials are right but the address is not confirmed yet."""

    status = 403
    code = "email_not_confirmed"


def log_in(email: str, password: str) -> User:
    """The user who may sign in with these credentials. Only someone who knows
    the password learns that the address is still unconfirmed."""
    user = authenticate(email, password)
    if user is None:
        raise ValidationFailed(_l("E-Mail-Adresse oder Passwort ist falsch."))
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed(
            _l("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer E-Mail.")
        )
    return user


def register(
    email: str, password: str, *, name: str = "", locale: str | None = None
) -> tuple[User, bool]:
    """Self-registration: a new unconfirmed user and True, or, for an address
    that is already registered, that user and False. The caller answers both
    the same way (and mails the owner), so the form reveals no addresses."""
    email = normalise_email(email)
    validate_password(password)
    existing = find_user(email)
    if existing is not None:
        # As slow as creating an account: the answer time reveals nothing.
        hash_password(password)
        return existing, False
    return create_user(email, password, name=name, locale=locale), True


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password(user, current_password):
        raise ValidationFailed(
            _l("Das aktuelle Passwort stimmt nicht."),
            {"current_password": [_l("Das aktuelle Passwort stimmt nicht.")]},
        )
    set_password(user, new_password)


def reset_password(user: User, password: str, now: datetime | None = None) -> None:
    """Set a new password from a reset link. The link proved the address, so
    an unconfirmed address counts as confirmed from now on."""
    now = now or utcnow()
    set_password(user, password, now)
    mark_confirmed(user, now)


def _mail_account(kind: str, user: User, tenant: Tenant | None, **context: Any) -> None:
    """Account mail ``account_<kind>`` to ``user``, keyed ``<kind>:<user id>:<n>``."""
    notify(
        f"account_{kind}",
        user.email,
        tenant,
        key=numbered_key(f"{kind}:{user.id}"),
        locale=user.locale,
        user=user,
        **context,
    )


def send_confirmation(
    secret_key: str, user: User, tenant: Tenant | None = None, *, next_path: str | None = None
) -> None:
    """Mail a confirmation link (``tenant``: where the person signed up;
    ``next_path``: a path on this site, already checked by the caller, to
    return to after confirming)."""
    _mail_account(
        "confirm", user, tenant, token=make_confirm_token(secret_key, user), next_path=next_path
    )


def send_reset(secret_key: str, user: User) -> None:
    """Mail a password-reset link; an older one stops working."""
    _mail_account("reset", user, None, token=make_reset_token(secret_key, user))


def queue_decoy(kind: str) -> None:
    """Queue account mail ``kind`` and take it back at once: for an address
    without an account, so that the answer costs the same work as a real
    mail (the same three statements) and its timing tells nothing."""
    user = User(id=0, email="", name="", session_version=0)
    notify(kind, "", None, key=f"decoy:{secrets.token_hex(8)}", user=user, token="x" * 80)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.key.like("decoy:%")))


def send_already_registered(user: User, tenant: Tenant | None = None) -> None:
    """Someone signed up with the address of an account: tell its owner
    instead of the visitor. No reset link: a stranger's sign-up must not
    replace a link the owner asked for."""
    _mail_account("exists", user, tenant)


def update_profile(user: User, *, name: str, locale: str | None) -> None:
    user.name = name.strip()
    user.locale = locale or None


# --- signed links (e-mail confirmation, password reset) --------------------------


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_confirm_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key, "confirm-email").dumps({"uid": user.id, "email": user.email})


def user_for_confirm_token(secret_key: str, token: str) -> User:
    """The account a confirmation link belongs to (valid seven days)."""
    try:
        data = _serializer(secret_key, "confirm-email").loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise ValidationFailed(_l("Der Bestätigungslink ist abgelaufen.")) from None
    except BadSignature:
        raise ValidationFailed(_l("Der Bestätigungslink ist ungültig.")) from None
    data = data if isinstance(data, dict) else {}
    uid = data.get("uid")
    user = db.session.get(User, uid) if type(uid) is int else None
    if user is None or user.email != data.get("email"):
        raise ValidationFailed(_l("Der Bestätigungslink ist ungültig."))
    return user


def confirm_with_password(user: User, password: str, now: datetime | None = None) -> None:
    """Confirm an address opened somewhere else than where the account was
    registered: the reader of the mail sets the password, so whoever typed
    the address into the form (perhaps not its owner) cannot sign in."""
    reset_password(user, password, now)


def mark_confirmed(user: User, now: datetime | None = None) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now or utcnow()


def make_reset_token(secret_key: str, user: User) -> str:
    """A new reset link's token; any older link of the user dies with it."""
    user.reset_nonce = secrets.token_hex(16)
    return _serializer(secret_key, "reset-password").dumps({"uid": user.id, "n": user.reset_nonce})


def user_for_reset_token(secret_key: str, token: str) -> User:
    """The user a reset link belongs to. A link works once, for an hour, and
    only while it is the newest one and the password has not changed."""
    try:
        data = _serializer(secret_key, "reset-password").loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise ValidationFailed(_l("Der Link zum Zurücksetzen ist abgelaufen.")) from None
    except BadSignature:
        raise ValidationFailed(_l("Der Link zum Zurücksetzen ist ungültig.")) from None
    data = data if isinstance(data, dict) else {}
    uid, nonce = data.get("uid"), data.get("n")
    user = db.session.get(User, uid) if type(uid) is int else None
    if (
        user is None
        or not user.active
        or not isinstance(nonce, str)
        or user.reset_nonce is None
        or not secrets.compare_digest(user.reset_nonce, nonce)
    ):
        raise ValidationFailed(_l("Der Link zum Zurücksetzen ist ungültig oder schon benutzt."))
    return user


# --- roles -------------------------------------------------------------------


def grant_role(tenant: Tenant, actor: User | None, user: User, role: str) -> Membership:
    if role not in ROLES:
        raise ValidationFailed(
            _l("Unbekannte Rolle."), {"role": [_l("Eine von: %(r)s", r=", ".join(ROLES))]}
        )
    existing = db.session.scalar(
        scoped(Membership, tenant).where(
            Membership.user_id == user.id,
            Membership.role == role,
        )
    )
    if existing is not None:
        return existing
    membership = Membership(tenant_id=tenant.id, user_id=user.id, role=role)
    db.session.add(membership)
    user.memberships.append(membership)
    db.session.flush()
    audit.record(tenant, actor, "role.grant", user, after={"role": role})
    return membership


def revoke_role(tenant: Tenant, actor: User | None, user: User, role: str) -> None:
    membership = db.session.scalar(
        scoped(Membership, tenant).where(
            Membership.user_id == user.id,
            Membership.role == role,
        )
    )
    if membership is None:
        raise NotFound(_l("Diese Rolle hat die Person nicht."))
    if role == "admin" and actor is not None and actor.id == user.id:
        admins = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(in_tenant(Membership, tenant), Membership.role == "admin")
        )
        if admins <= 1:
            raise ValidationFailed(
                _l(
                    "Als letzte Person mit Administrationsrechten können Sie sich "
                    "diese Rolle nicht selbst entziehen."
                )
            )
    user.memberships.remove(membership)
    db.session.delete(membership)
    db.session.flush()
    audit.record(tenant, actor, "role.revoke", user, before={"role": role})


def grant_role_by_email(tenant: Tenant, actor: User | None, email: str, role: str) -> Membership:
    user = find_user(email)
    if user is None:
        raise ValidationFailed(
            _l("Unbekannte E-Mail-Adresse."),
            {"email": [_l("Unter dieser Adresse ist niemand registriert.")]},
        )
    return grant_role(tenant, actor, user, role)


def roles_by_tenant(user: User) -> list[tuple[Tenant, list[str]]]:
    """The user's roles, grouped by municipality (for the profile page)."""
    roles: dict[int, list[str]] = {}
    for membership in user.memberships:
        roles.setdefault(membership.tenant_id, []).append(membership.role)
    if not roles:
        return []
    tenants = db.session.scalars(
        select(Tenant).where(Tenant.id.in_(roles)).order_by(Tenant.name)
    ).all()
    return [(t, sorted(roles[t.id], key=ROLES.index)) for t in tenants]


def staff(tenant: Tenant) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user))
            .where(in_tenant(Membership, tenant))
            .order_by(User.email, Membership.role)
        )
    )


def users_with_role(tenant: Tenant, role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(in_tenant(Membership, tenant), Membership.role == role)
            .order_by(User.name, User.email)
        )
    )


# --- organisations -------------------------------------------------------------


def create_organisation(
    tenant: Tenant,
    actor: User,
    *,
    name: str,
    kind: str = "club",
    is_local: bool = True,
    email: str | None = None,
) -> Organisation:
    name = name.strip()
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = [_l("Der Name darf nicht leer sein.")]
    if kind not in ORGANISATION_KINDS:
        errors["kind"] = [_l("Unbekannte Art.")]
    elif kind == "funeral_home" and not can_enter_funeral_home(actor, tenant):
        raise Forbidden(_l("Bestattungsunternehmen kann nur die Verwaltung anlegen."))
    if not errors and db.session.scalar(
        select(Organisation.id).where(in_tenant(Organisation, tenant), Organisation.name == name)
    ):
        errors["name"] = [_l("Eine Organisation mit diesem Namen gibt es schon.")]
    if errors:
        raise ValidationFailed(_l("Die Angaben sind ungültig."), errors)
    organisation = Organisation(
        tenant_id=tenant.id, name=name, kind=kind, is_local=is_local, email=email or None
    )
    organisation.members.append(OrganisationMember(user=actor, is_manager=True))
    db.session.add(organisation)
    db.session.flush()
    audit.record(tenant, actor, "organisation.create", organisation, after={"name": name})
    return organisation


def invite_member(
    organisation: Organisation,
    actor: User,
    email: str,
    *,
    is_manager: bool = False,
    now: datetime | None = None,
) -> OrganisationInvitation:
    """Invite whoever reads ``email`` to join. Nobody is added without saying
    yes, and the answer is the same whether or not the address has an account
    (the caller mails the address either way). Inviting an address again
    renews its open invitation."""
    now = now or utcnow()
    if not can_manage_organisation(actor, organisation):
        raise Forbidden(
            _l("Nur die Verantwortlichen der Organisation können Mitglieder hinzufügen.")
        )
    email = normalise_email(email)
    if any(m.user.email == email for m in organisation.members):
        raise ValidationFailed(
            _l("Diese Person gehört schon zur Organisation."),
            {"email": [_l("Diese Person gehört schon zur Organisation.")]},
        )
    open_ = open_invitations(organisation, now)
    invitation = next((i for i in open_ if i.email == email), None)
    if invitation is None:
        if len(open_) >= MAX_OPEN_INVITATIONS:
            raise ValidationFailed(
                _l(
                    "Es sind schon %(num)d Einladungen offen. Bitte ziehen Sie erst welche zurück.",
                    num=MAX_OPEN_INVITATIONS,
                )
            )
        invitation = OrganisationInvitation(
            tenant_id=organisation.tenant_id,
            organisation_id=organisation.id,
            email=email,
            created_at=now,
        )
        db.session.add(invitation)
    invitation.is_manager = is_manager
    invitation.invited_by_id = actor.id
    invitation.expires_at = now + INVITATION_VALIDITY
    db.session.flush()
    return invitation


def send_invitation(tenant: Tenant, invitation: OrganisationInvitation, inviter: User) -> None:
    """Mail the invited address in the municipality's language (the person
    may have no account). It carries no token: it sends the reader to sign in
    (or register) with this address and answer there."""
    notify(
        "organisation_invitation",
        invitation.email,
        tenant,
        # At most one mail a day per invitation, however often it is renewed.
        key=f"invite:{invitation.id}:{utcnow():%Y-%m-%d}",
        invitation=invitation,
        inviter=inviter,
    )


def open_invitations(
    organisation: Organisation, now: datetime | None = None
) -> list[OrganisationInvitation]:
    """The organisation's invitations not yet answered, withdrawn or expired."""
    return list(
        db.session.scalars(
            select(OrganisationInvitation)
            .where(
                OrganisationInvitation.organisation_id == organisation.id,
                OrganisationInvitation.answered_at.is_(None),
                OrganisationInvitation.expires_at > (now or utcnow()),
            )
            .order_by(OrganisationInvitation.created_at)
        )
    )


def invitations_for(
    user: User, tenant: Tenant, now: datetime | None = None
) -> list[OrganisationInvitation]:
    """Open invitations in ``tenant`` to the user's (confirmed) address."""
    if user.email_confirmed_at is None:
        return []
    return list(
        db.session.scalars(
            select(OrganisationInvitation)
            .options(selectinload(OrganisationInvitation.organisation))
            .where(
                in_tenant(OrganisationInvitation, tenant),
                OrganisationInvitation.email == user.email.lower(),
                OrganisationInvitation.answered_at.is_(None),
                OrganisationInvitation.expires_at > (now or utcnow()),
            )
            .order_by(OrganisationInvitation.created_at)
        )
    )


def answer_invitation(
    tenant: Tenant, user: User, invitation_id: int, *, accept: bool, now: datetime | None = None
) -> OrganisationInvitation:
    """Accept (become a member) or decline an invitation to the user's address.
    Anyone else's invitation, and a spent one, is not found."""
    now = now or utcnow()
    invitation = next(
        (i for i in invitations_for(user, tenant, now) if i.id == invitation_id), None
    )
    if invitation is None:
        raise NotFound(_l("Diese Einladung gibt es nicht (mehr)."))
    invitation.answered_at = now
    if accept:
        _join(invitation.organisation, user, is_manager=invitation.is_manager)
    db.session.flush()
    return invitation


def withdraw_invitation(
    organisation: Organisation, actor: User, invitation_id: int, now: datetime | None = None
) -> OrganisationInvitation:
    if not can_manage_organisation(actor, organisation):
        raise Forbidden(
            _l("Nur die Verantwortlichen der Organisation können Einladungen zurückziehen.")
        )
    invitation = next(
        (i for i in open_invitations(organisation, now) if i.id == invitation_id), None
    )
    if invitation is None:
        raise NotFound(_l("Diese Einladung gibt es nicht (mehr)."))
    invitation.answered_at = now or utcnow()
    db.session.flush()
    return invitation


def _join(organisation: Organisation, user: User, *, is_manager: bool) -> OrganisationMember:
    for member in organisation.members:
        if member.user_id == user.id:
            member.is_manager = member.is_manager or is_manager
            return member
    member = OrganisationMember(user=user, is_manager=is_manager)
    organisation.members.append(member)
    db.session.flush()
    return member


def remove_member(organisation: Organisation, actor: User, user_id: int) -> None:
    if not can_manage_organisation(actor, organisation):
        raise Forbidden(
            _l("Nur die Verantwortlichen der Organisation können Mitglieder entfernen.")
        )
    member = next((m for m in organisation.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(_l("Nicht gefunden."))
    managers = [m for m in organisation.members if m.is_manager]
    if member.is_manager and len(managers) == 1:
        raise ValidationFailed(_l("Die letzte verantwortliche Person kann nicht entfernt werden."))
    organisation.members.remove(member)
    db.session.flush()


def visible_organisations(user: User, tenant: Tenant) -> list[Organisation]:
    """All of the tenant's organisations for admin and clerk, else the user's own."""
    query = scoped(Organisation, tenant)
    if not sees_all_organisations(user, tenant):
        query = query.join(OrganisationMember).where(OrganisationMember.user_id == user.id)
    # The list shows each one's number of members.
    query = query.options(selectinload(Organisation.members))
    return list(db.session.scalars(query.order_by(Organisation.name)))


def organisations_of(user: User, tenant: Tenant) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .join(OrganisationMember)
            .where(in_tenant(Organisation, tenant), OrganisationMember.user_id == user.id)
            .order_by(Organisation.name)
        )
    )


# --- API tokens ----------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip()[:100], token_hash=_token_hash(plain), prefix=plain[:10]
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def user_for_api_token(plain: str, now: datetime | None = None) -> User | None:
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(plain)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RECORDED_EVERY:
        # A reading call reads side by side with others (SQLite): the
        # last use is noted when the write lock is to be had, else next time.
        with transaction.optional_write():
            token.last_used_at = now
            db.session.flush()
    return token.user


def api_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(user: User, token_id: int, now: datetime | None = None) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_l("Nicht gefunden."))
    token.revoked_at = token.revoked_at or now or utcnow()


def revoke_all_api_tokens(user: User, now: datetime | None = None) -> int:
    """Revoke every token of the user still working; returns how many."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
