"""The OpenAPI 3 document, built from every registered :class:`~hub.rest.ApiBlueprint`."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from hub.rest import ApiBlueprint, Operation

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")
ERROR = {
    "description": "A JSON error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
# The statuses the core answers on any operation, whatever the view does.
CORE_ERRORS = {
    401: "Not signed in: no token, or one that is expired or revoked",
    403: "The signed-in user's role lacks the permission",
    414: "The address is too long",
    422: "A parameter or a value is wrong; the details name each",
}
BUSY = {
    "description": "The database is busy for a moment: try again after Retry-After seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": ERROR["content"],
}


def _error(description: str) -> dict[str, Any]:
    return {**ERROR, "description": description}


def _operation_doc(op: Operation, path_params: list[str]) -> dict[str, Any]:
    responses: dict[str, Any] = {str(code): _error(text) for code, text in CORE_ERRORS.items()}
    responses["503"] = BUSY
    doc: dict[str, Any] = {
        "summary": op.summary,
        "tags": op.tags,
        "operationId": f"{op.tags[0]}.{op.endpoint}",
        "parameters": [
            {"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}
            for name in path_params
        ],
        "responses": responses,
        "security": [{"bearer": []}],
    }
    if op.description:
        doc["description"] = op.description
    if op.permission:
        doc["description"] = (op.description + f"\n\nNeeds permission `{op.permission}`.").strip()
    if path_params:
        responses["404"] = _error("No such record")
    if op.writes:
        responses["409"] = _error("The change conflicts with existing records")
    if op.query is not None:
        doc["parameters"].append({"in": "query", "schema": op.query})
    for name, spec in op.headers.items():
        doc["parameters"].append({"in": "header", "name": name, **spec})
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": op.body(partial=True) if op.partial else op.body}
            },
        }
        responses["400"] = _error("The body is not a JSON object, or a header is malformed")
        responses["413"] = _error("The body is too large")
        responses["415"] = _error("The body is not JSON")
    responses[str(op.status)] = _response_doc(op, "Success")
    for code, text in op.responses.items():
        responses[str(code)] = _response_doc(op, text) if code < 300 else _error(text)
    return doc


def _response_doc(op: Operation, description: str) -> dict[str, Any]:
    if op.response is None:
        return {"description": description}
    schema: Any = op.response
    if op.paginate:
        schema = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": op.response},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
                "pages": {"type": "integer"},
            },
        }
    elif op.many:
        schema = {"type": "array", "items": op.response}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _schema_name(schema: Any) -> str:
    # Qualified by top-level package, so two plugins may both have an "EventSchema".
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if getattr(schema, "partial", False) is True:
        name += "Partial"  # every field optional: a PATCH body
    package = cls.__module__.split(".")[0]
    return name if package == "hub" else f"{package}.{name}"


def build(app: Flask) -> dict[str, Any]:
    from hub import __version__

    spec = APISpec(
        title=f"{app.config['INSTANCE_NAME']} API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": "The Community Hub REST API. Authenticate with `Authorization: Bearer TOKEN`."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {"error": {"type": "string"}, "details": {}},
            "required": ["error"],
        },
    )
    paths: dict[str, dict[str, Any]] = {}
    for blueprint in app.iter_blueprints():
        if not isinstance(blueprint, ApiBlueprint):
            continue
        for op in blueprint.operations:
            full = (blueprint.url_prefix or "") + op.rule
            path = _CONVERTER.sub(r"{\1}", full)
            params = _CONVERTER.findall(full)
            paths.setdefault(path, {})[op.method.lower()] = _operation_doc(op, params)
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec.to_dict()
