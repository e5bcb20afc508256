"""The JSON API framework shared by the core and every plugin.

An :class:`ApiBlueprint` declares each operation once, with its marshmallow
schemas and the permission it needs; from that one declaration the core checks
authentication and role, validates the query string and body (unknown fields
are refused), serialises the answer, paginates lists, and writes the OpenAPI
document. Every failure is a 4xx JSON body ``{"error": ..., "details": ...}``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException

from hub import auth
from hub.db import get_session
from hub.errors import ApiError

MAX_PER_PAGE = 200
# The largest integer either database stores; bigger ids cannot exist and bigger
# values cannot be stored, so they are refused before they reach a driver.
MAX_DB_INTEGER = 2**63 - 1


class PageQuery(Schema):
    """Pagination parameters added to every paginated list operation."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


@dataclass
class Operation:
    """One documented API operation, kept for the OpenAPI document."""

    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    permission: str | None
    query: type[Schema] | None
    body: type[Schema] | None
    response: type[Schema] | None
    many: bool
    paginate: bool
    status: int
    tags: list[str] = field(default_factory=list)


class ApiBlueprint(Blueprint):
    """A blueprint whose routes are documented, validated API operations."""

    def __init__(self, name: str, import_name: str, *, url_prefix: str, tag: str) -> None:
        super().__init__(name, import_name, url_prefix=url_prefix)
        self.tag = tag
        self.operations: list[Operation] = []

    def operation(
        self,
        rule: str,
        *,
        method: str = "GET",
        summary: str,
        permission: str | None,
        query: type[Schema] | None = None,
        body: type[Schema] | None = None,
        response: type[Schema] | None = None,
        many: bool = False,
        paginate: bool = False,
        status: int = 200,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an operation; the view receives ``query=`` and ``body=`` when declared.

        ``permission=None`` means any signed-in user. With ``paginate=True`` the
        view returns a SQLAlchemy ``Select`` and the core pages through it. A view
        returning ``None`` answers 204 No Content.
        """
        if paginate:
            query = _with_paging(query)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            op = Operation(
                rule=rule,
                method=method.upper(),
                endpoint=view.__name__,
                summary=summary,
                description=(view.__doc__ or "").strip(),
                permission=permission,
                query=query,
                body=body,
                response=response,
                many=many or paginate,
                paginate=paginate,
                status=status,
                tags=[self.tag],
            )
            self.operations.append(op)

            @functools.wraps(view)
            def handler(**path_args: Any) -> Any:
                auth.authenticate_api_request(permission)
                _check_path_ids(path_args)
                kwargs: dict[str, Any] = dict(path_args)
                if query is not None:
                    kwargs["query"] = load(query, request.args.to_dict(), "query string")
                if body is not None:
                    kwargs["body"] = load(body, read_json_body(), "body")
                result = view(**kwargs)
                return _respond(op, result, kwargs.get("query"))

            self.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[op.method])
            return handler

        return decorator


def _with_paging(query: type[Schema] | None) -> type[Schema]:
    if query is None:
        return PageQuery
    return type(f"{query.__name__}Paged", (query, PageQuery), {})


def _check_path_ids(path_args: dict[str, Any]) -> None:
    for name, value in path_args.items():
        if isinstance(value, int) and value > MAX_DB_INTEGER:
            raise ApiError(404, "not found", {name: value})


def read_json_body() -> Any:
    """The request's JSON body, or a 400/415 naming what is wrong with it."""
    # The media type is checked first: Werkzeug consumes form bodies, so a form
    # post would otherwise look empty.
    if request.mimetype and not request.is_json:
        raise ApiError(415, "unsupported media type", {"Content-Type": ["use application/json"]})
    if not request.get_data(cache=True):
        raise ApiError(400, "request body is empty", {"body": ["a JSON object is required"]})
    if not request.is_json:
        raise ApiError(415, "unsupported media type", {"Content-Type": ["use application/json"]})
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "invalid JSON", {"body": ["the JSON is nested too deeply"]}) from None
    if data is None:
        raise ApiError(400, "invalid JSON", {"body": ["the body is not valid JSON"]})
    return data


def load(schema: type[Schema], data: Any, where: str) -> Any:
    """Validate ``data`` with ``schema``; unknown fields and wrong types give a 422."""
    if not isinstance(data, dict):
        raise ApiError(400, f"the {where} must be a JSON object", {where: ["expected an object"]})
    try:
        loaded = schema(unknown=RAISE).load(data)
    except ValidationError as exc:
        raise ApiError(422, f"invalid {where}", exc.messages) from None
    problems: dict[str, list[str]] = {}
    _find_unstorable(loaded, "", problems)
    if problems:
        raise ApiError(422, f"invalid {where}", problems)
    return loaded


def _find_unstorable(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    """Values marshmallow accepts but no database can store: NUL characters in
    text (PostgreSQL refuses them) and integers beyond 64 bits."""
    if isinstance(value, dict):
        for key, item in value.items():
            _find_unstorable(item, f"{path}.{key}" if path else str(key), problems)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _find_unstorable(item, f"{path}.{index}" if path else str(index), problems)
    elif isinstance(value, str) and "\x00" in value:
        problems.setdefault(path, []).append("must not contain NUL characters")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_DB_INTEGER:
        problems.setdefault(path, []).append("is out of range")


def _respond(op: Operation, result: Any, query: dict[str, Any] | None) -> Any:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    if op.paginate:
        assert query is not None and op.response is not None
        return jsonify(paginate(result, op.response, query["page"], query["per_page"])), op.status
    if op.response is not None:
        return jsonify(op.response().dump(result, many=op.many)), op.status
    return jsonify(result), op.status


def paginate(statement: Select[Any], schema: type[Schema], page: int, per_page: int) -> dict:
    """Run ``statement`` for one page and wrap it in the list envelope."""
    session = get_session()
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    pages = max(1, -(-(total or 0) // per_page))
    return {
        "items": schema().dump(rows, many=True),
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }


def handle_http_error(exc: HTTPException) -> tuple[Response, int]:
    """Turn Werkzeug's HTML errors into JSON on the API and federation paths."""
    status = exc.code or 500
    details = getattr(exc, "description", None)
    return jsonify({"error": (exc.name or "error").lower(), "details": details}), status
