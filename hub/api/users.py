"""Managing the people who sign in: admins add users, set roles, disable them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app
from marshmallow import validate
from sqlalchemy import Select, func, select

from hub import auth, fields, people
from hub.api.people import ErasedSchema, json_attachment
from hub.db import get_or_404, get_session
from hub.errors import ApiError, FieldError
from hub.forms import Schema
from hub.models import ROLES, User
from hub.rest import ApiBlueprint
from hub.search import text_search

bp = ApiBlueprint("api_users", __name__, url_prefix="/api/v1", tag="users")


class ManagedUserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    erased_at = fields.DateTime(
        allow_none=True, metadata={"description": "When the account was erased, if it was."}
    )


PASSWORD_LENGTH = validate.Length(min=auth.MIN_PASSWORD_LENGTH, max=auth.MAX_PASSWORD_LENGTH)


def _check_password(password: str, *known: str | None) -> None:
    """How hard a password is to guess is the one rule the schema cannot state."""
    context = [current_app.config["INSTANCE_NAME"], *(text or "" for text in known)]
    problem = auth.validate_password(password, context)
    if problem:
        raise FieldError("password", problem)


class UserChangeSchema(Schema):
    name = fields.String(validate=validate.Length(max=120))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(metadata={"description": "False signs the user out everywhere."})
    password = fields.Password(
        load_only=True,
        validate=PASSWORD_LENGTH,
        metadata={
            "description": "At least 10 characters, not easy to guess (else 422, "
            "`invalid value`). Signs the user out everywhere and revokes their API tokens."
        },
    )


class UserCreateSchema(UserChangeSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.Password(
        required=True,
        load_only=True,
        validate=PASSWORD_LENGTH,
        metadata={"description": "At least 10 characters, not easy to guess."},
    )


class UserQuery(Schema):
    q = fields.String(
        validate=validate.Length(min=1, max=254),
        metadata={"description": "Part of a name or email."},
    )
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


@bp.operation(
    "/users",
    summary="Users who can sign in",
    permission="users.manage",
    query=UserQuery,
    response=ManagedUserSchema,
    paginate=True,
)
def list_users(query: dict[str, Any]) -> Select[Any]:
    statement = select(User).order_by(User.email)
    if "q" in query:
        statement = statement.where(text_search(query["q"], User.email, User.name))
    if "role" in query:
        statement = statement.where(User.role == query["role"])
    if "active" in query:
        statement = statement.where(User.active.is_(query["active"]))
    return statement


@bp.operation(
    "/users",
    method="POST",
    summary="Add a user with a role and a password",
    permission="users.manage",
    body=UserCreateSchema,
    response=ManagedUserSchema,
    status=201,
)
def create_user(body: dict[str, Any]) -> User:
    session = get_session()
    email = body["email"].strip().lower()
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise ApiError(409, "email already in use", {"email": [f"a user with {email} exists"]})
    _check_password(body["password"], email, body.get("name"))
    user = User(
        email=email,
        name=body.get("name", ""),
        role=body["role"],
        active=body.get("active", True),
        password_hash=auth.hash_password(body["password"]),
    )
    session.add(user)
    session.commit()
    return user


@bp.operation(
    "/users/<int:user_id>",
    summary="One user",
    permission="users.manage",
    response=ManagedUserSchema,
)
def get_user(user_id: int) -> User:
    return _get(user_id)


@bp.operation(
    "/users/<int:user_id>",
    method="PATCH",
    summary="Change a user's name, role, password or whether they may sign in",
    permission="users.manage",
    body=UserChangeSchema,
    response=ManagedUserSchema,
)
def update_user(user_id: int, body: dict[str, Any]) -> User:
    """The last active admin cannot be demoted or disabled (409)."""
    session = get_session()
    user = _get(user_id)
    if user.erased_at is not None:
        raise ApiError(409, "user was erased", {"id": [f"user {user_id} was erased"]})
    demoted = body.get("role", user.role) != "admin"
    disabled = body.get("active", True) is False
    is_active_admin = user.role == "admin" and user.active
    if is_active_admin and (demoted or disabled) and people.other_active_admins(session, user) == 0:
        raise ApiError(
            409,
            "last active admin",
            {"role": ["cannot demote or disable the last active admin; make another admin first"]},
        )
    if "password" in body:
        _check_password(body["password"], user.email, body.get("name", user.name))
        auth.set_password(user, body.pop("password"), keep_current=False)
    if body.get("active") is False and user.active:
        auth.end_sessions(user, keep_current=False)
    for key, value in body.items():
        setattr(user, key, value)
    session.commit()
    return user


class UserErasureSchema(ErasedSchema):
    erased_at = fields.DateTime()


@bp.operation(
    "/users/<int:user_id>/export",
    summary="Everything held about a user (a volunteer's subject access request)",
    permission="users.manage",
)
def export_user(user_id: int) -> Response:
    """The account, its tokens, what the audit log says the user did and what
    every enabled plugin links to them, as one JSON document to download."""
    session = get_session()
    data = people.export_user(session, current_app.extensions["hub.plugins"], _get(user_id))
    session.commit()
    return json_attachment(data, f"user-{user_id}.json")


@bp.operation(
    "/users/<int:user_id>/erase",
    method="POST",
    summary="Erase a user's account and what every plugin links to it",
    permission="users.manage",
    response=UserErasureSchema,
)
def erase_user(user_id: int) -> dict[str, Any]:
    """Blanks and disables the account, ends its sessions, deletes its tokens and
    unlinks it in every plugin; records stay, so published figures do not change.
    Not the last active admin, nor twice (409). Cannot be undone."""
    session = get_session()
    user = _get(user_id)
    me = auth.current_user()
    if me is not None and me.id == user.id:
        raise ApiError(409, "cannot erase yourself", {"id": ["ask another admin"]})
    try:
        touched = people.erase_user(session, current_app.extensions["hub.plugins"], user)
    except people.AccountError as exc:
        raise ApiError(409, "cannot erase this user", {"id": [str(exc)]}) from None
    return {"id": user.id, "erased_at": user.erased_at, "plugins": touched}


def _get(user_id: int) -> User:
    return get_or_404(User, user_id)


def blueprints() -> list[Blueprint]:
    return [bp]
