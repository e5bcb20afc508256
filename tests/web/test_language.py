"""Which language a reader gets: their own setting, else the switcher's cookie, else
the browser's Accept-Language, else the instance's DEFAULT_LANGUAGE."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.db import get_session
from hub.models import User
from hub.testing import csrf_token, login

WELSH = {"Accept-Language": "cy"}


def html_lang(page) -> str:
    match = re.search(r'<html lang="([^"]+)">', page.text)
    assert match, "no lang on <html>"
    return match[1]


def switch(client, language: str, next_page: str = "/public"):
    token = csrf_token(client.get("/public").text)
    return client.post(
        "/language", data={"language": language, "next": next_page, "csrf_token": token}
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cy", "cy"),
        ("cy-GB,cy;q=0.9,en;q=0.5", "cy"),
        ("en-GB,en;q=0.9,cy;q=0.8", "en-GB"),
        ("en-US", "en-GB"),
        ("fr-FR,de;q=0.5", "en-GB"),
        ("", "en-GB"),
    ],
)
def test_the_browser_language_chooses_when_nothing_else_does(client, header, expected):
    headers = {"Accept-Language": header} if header else {}
    assert html_lang(client.get("/login", headers=headers)) == expected
    assert html_lang(client.get("/public", headers=headers)) == expected


def test_the_instance_default_serves_browsers_that_ask_for_neither(make_app):
    app = make_app(DEFAULT_LANGUAGE="cy")
    client = app.test_client()
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr"})) == "cy"
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == "en-GB"


def test_an_unknown_default_language_is_a_configuration_error(make_app):
    from hub.config import ConfigError

    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE: 'fr' is not one of en_GB, cy"):
        make_app(DEFAULT_LANGUAGE="fr")


def test_the_switcher_sets_a_cookie_before_signing_in(client):
    page = client.get("/login", headers=WELSH)
    # The switcher offers the other language, named in that language.
    assert 'value="en_GB" lang="en-GB">English</button>' in page.text
    response = switch(client, "en_GB", "/public?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/public?x=1"
    assert html_lang(client.get("/public", headers=WELSH)) == "en-GB"
    switch(client, "cy")
    page = client.get("/public")
    assert html_lang(page) == "cy"
    assert 'value="en_GB" lang="en-GB">English</button>' in page.text


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(client):
    assert switch(client, "fr").status_code == 400
    response = switch(client, "cy", "https://evil.example/")
    assert response.headers["Location"] == "/"


def test_a_signed_in_users_setting_beats_the_browser(app, client, accounts):
    login(client, accounts["volunteer"])
    assert html_lang(client.get("/", headers=WELSH)) == "cy"
    switch(client, "en_GB", "/")
    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == accounts["volunteer"].email))
        assert user.language == "en_GB"
    # The setting is the user's, not the browser's: a new browser asking for Welsh gets English.
    other = app.test_client()
    login(other, accounts["volunteer"])
    assert html_lang(other.get("/", headers=WELSH)) == "en-GB"
    assert html_lang(other.get("/account/", headers=WELSH)) == "en-GB"


def test_welsh_pages_are_in_welsh(client, accounts):
    page = client.get("/login", headers=WELSH)
    assert '<h1 id="signin-title">Mewngofnodi</h1>' in page.text
    assert "Sign in" not in page.text and "Password" not in page.text
    wrong = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": "x", "csrf_token": csrf_token(page.text)},
        headers=WELSH,
    )
    assert "cyfrinair hwnnw ddim yn cyfateb i gyfrif gweithredol." in wrong.text
    login(client, accounts["volunteer"])
    dashboard = client.get("/", headers=WELSH)
    assert "<h1>Dangosfwrdd</h1>" in dashboard.text
    assert "wedi mewngofnodi fel volunteer@example.org (gwirfoddolwr)" in dashboard.text
    assert "Ffigurau cyhoeddedig" in client.get("/public", headers=WELSH).text
