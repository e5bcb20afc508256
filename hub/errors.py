"""Errors a client can fix: answered as ``{"error": ..., "details": ...}`` with a 4xx status
on the API, and as the page's own error (a field marked, or the error page) on pages."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import ValidationError


class ApiError(Exception):
    """An error the client can fix; becomes a JSON response with ``status``."""

    def __init__(self, status: int, error: str, details: Any = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details

    def response(self) -> tuple[Response, int]:
        response = jsonify({"error": self.error, "details": self.details})
        if self.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"  # RFC 6750
        return response, self.status


class FieldError(ValidationError):
    """A value that is well formed but does not fit, named by its field ("no location 7",
    "only 2 packets in stock").

    Raise it from a service, or from a schema's validator: the API answers 422 with
    ``{"details": {field: [message]}}``, and a page's :class:`hub.forms.Form` marks the
    field. It is a marshmallow ``ValidationError``, so schemas treat it as their own.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__([message], field_name=field)
        self.field = field
        self.message = message

    @property
    def details(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}

    def __str__(self) -> str:
        return self.message


def not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, f"{what} not found", {"id": ident})


class ServiceBusy(Exception):
    """Too much at once (the database is locked, sign-ins are queueing): answered
    503 with ``Retry-After``, since the same request a moment later will work."""

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
