"""The JSON API framework shared by the core and every plugin.

An :class:`ApiBlueprint` declares each operation once, with its marshmallow
schemas and the permission it needs; from that one declaration the core checks
authentication and role, validates the query string and body (unknown fields
are refused), serialises the answer, paginates lists, and writes the OpenAPI
document. Every failure is a 4xx JSON body ``{"error": ..., "details": ...}``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema
from werkzeug.exceptions import HTTPException

from hub import auth, fields, forms, paging
from hub.errors import ApiError
from hub.fields import MAX_DB_INTEGER


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
    partial: bool = False
    responses: dict[int, str] = field(default_factory=dict)
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")


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
        status: int | None = None,
        partial: bool = False,
        responses: Mapping[int, str] | None = None,
        headers: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an operation; the view receives ``query=`` and ``body=`` when declared.

        ``permission=None`` means any signed-in user. With ``paginate=True`` the
        view returns a SQLAlchemy ``Select`` and the core pages through it. A view
        declared ``-> None`` answers 204 No Content. ``partial=True`` (for PATCH) makes
        every field of ``body`` optional, in the validation and in the OpenAPI document.

        The OpenAPI document lists every status the core itself can answer (401, 403,
        404 for a path id, 409 for a write that breaks a constraint, 414, 422, 503 when
        the database is busy). ``responses`` adds the view's own, by status and what it
        means (``{200: "a replay of a logged parcel"}``); ``headers`` documents the
        request headers the view reads, by name, as OpenAPI parameter fields
        (``{"description": ..., "schema": {...}}``).
        """
        if paginate:
            query = _with_paging(query)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            returns = inspect.signature(view, eval_str=False).return_annotation
            answers_nothing = returns is None or returns == "None"
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
                status=status if status is not None else (204 if answers_nothing else 200),
                partial=partial,
                responses=dict(responses or {}),
                headers={name: dict(spec) for name, spec in (headers or {}).items()},
                tags=[self.tag],
            )
            self.operations.append(op)

            @functools.wraps(view)
            def handler(**path_args: Any) -> Any:
                auth.authenticate_api_request(permission)
                _check_path_ids(path_args)
                kwargs: dict[str, Any] = dict(path_args)
                if query is not None:
                    kwargs["query"] = forms.load_query(query, request.args)
                if body is not None:
                    kwargs["body"] = forms.load_json(
                        body, read_json_body(), "body", partial=partial
                    )
                result = view(**kwargs)
                return _respond(op, result, kwargs.get("query"))

            self.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[op.method])
            return handler

        return decorator


def _with_paging(query: type[Schema] | None) -> type[Schema]:
    if query is None:
        return paging.PageQuery
    return type(f"{query.__name__}Paged", (query, paging.PageQuery), {})


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
        return json.loads(request.get_data(cache=True), parse_int=fields.json_integer)
    except RecursionError:
        raise ApiError(400, "invalid JSON", {"body": ["the JSON is nested too deeply"]}) from None
    except ValueError:  # not JSON, or not UTF-8
        raise ApiError(400, "invalid JSON", {"body": ["the body is not valid JSON"]}) from None


def _respond(op: Operation, result: Any, query: dict[str, Any] | None) -> Any:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    if op.paginate:
        assert query is not None and op.response is not None
        page = paging.paginate(result, query["page"], query["per_page"])
        schema = forms.output(op.response)
        return jsonify(page.envelope(lambda rows: schema.dump(rows, many=True))), op.status
    if op.response is not None:
        return jsonify(forms.output(op.response).dump(result, many=op.many)), op.status
    return jsonify(result), op.status


def handle_http_error(exc: HTTPException) -> tuple[Response, int]:
    """Turn Werkzeug's HTML errors into JSON on the API and federation paths."""
    status = exc.code or 500
    details = getattr(exc, "description", None)
    response = jsonify({"error": (exc.name or "error").lower(), "details": details})
    for name, value in exc.get_headers():
        if name.lower() != "content-type":  # e.g. Allow on a 405
            response.headers[name] = value
    return response, status
