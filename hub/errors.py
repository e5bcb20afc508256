"""Errors a client can fix, answered as ``{"error": ..., "details": ...}`` with a 4xx status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


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


def not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, f"{what} not found", {"id": ident})
