"""The caller's own account and API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from hub import auth
from hub.db import get_session, utcnow
from hub.errors import ApiError, not_found
from hub.models import ApiToken, User
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_account", __name__, url_prefix="/api/v1", tag="account")


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True)
    name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    permissions = fields.Method("_permissions", dump_only=True)

    def _permissions(self, user: Any) -> list[str]:
        return sorted(name for name in auth.permissions() if auth.can(user, name))


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(validate=validate.Length(max=120))
    prefix = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once; store it safely."})


class TokenRequestSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=120))
    days = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=auth.MAX_TOKEN_DAYS),
        metadata={"description": "How long the token works; default the TOKEN_DAYS setting."},
    )


@bp.operation("/me", summary="The signed-in user", permission=None, response=UserSchema)
def me() -> Any:
    return auth.current_user()


@bp.operation(
    "/tokens", summary="Your API tokens", permission=None, response=TokenSchema, many=True
)
def list_tokens() -> Any:
    user = _signed_in()
    return get_session().scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()


@bp.operation(
    "/tokens",
    method="POST",
    summary="Create an API token for yourself",
    permission=None,
    body=TokenRequestSchema,
    response=NewTokenSchema,
    status=201,
)
def create_token(body: dict[str, Any]) -> Any:
    """Only from a signed-in browser (with its CSRF token): a token cannot make
    tokens, so a leaked one cannot outlive its own expiry or revocation."""
    if auth.signed_in_via() != "web":
        raise ApiError(
            403,
            "tokens cannot create tokens",
            {"Authorization": ["create tokens on your account page, or with hub token create"]},
        )
    session = get_session()
    user = _signed_in()
    token = auth.create_token(user, body["name"], body.get("days"))
    session.commit()
    row = user.tokens[-1]
    setattr(row, "token", token)  # shown once, in this answer, and never stored  # noqa: B010
    return row


@bp.operation(
    "/tokens/<int:token_id>", method="DELETE", summary="Revoke one of your tokens", permission=None
)
def revoke_token(token_id: int) -> None:
    session = get_session()
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != _signed_in().id:
        raise not_found("token", token_id)
    row.revoked_at = row.revoked_at or utcnow()
    session.commit()


def blueprints() -> list[Blueprint]:
    return [bp]


def _signed_in() -> User:
    """The caller, for operations open to anyone signed in (the API checked it)."""
    user = auth.current_user()
    if user is None:
        raise ApiError(401, "authentication required", None)
    return user
