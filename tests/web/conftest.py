"""Helpers for the web shell's tests: signed-in clients and form posts with CSRF tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.testing import Account, csrf_token, login


class Browser:
    """A test client signed in as one account, posting forms as a browser would."""

    def __init__(self, client: FlaskClient, account: Account | None) -> None:
        self.client = client
        self.account = account

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        # The token belongs to the session, so any page carries the right one.
        page = "/account/" if self.account else "/login"
        return csrf_token(self.client.get(page).get_data(as_text=True))

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def post_without_token(self, url: str, data: dict[str, Any] | None = None) -> TestResponse:
        return self.client.post(url, data=data or {})


@pytest.fixture
def as_role(app: Flask, accounts: dict[str, Account]) -> Callable[[str], Browser]:
    """``as_role("volunteer")``: a fresh client signed in with that role."""

    def sign_in(role: str) -> Browser:
        client = app.test_client()
        login(client, accounts[role])
        return Browser(client, accounts[role])

    return sign_in

