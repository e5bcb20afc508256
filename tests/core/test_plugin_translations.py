"""hub_translations: a third party's plugin ships its own catalogue, and its pages and
navigation are in the reader's language."""

from __future__ import annotations

from hub.testing import create_account, login

WELSH = {"Accept-Language": "cy"}


def test_a_plugins_own_catalogue_translates_its_navigation_and_pages(visits_app):
    client = visits_app.test_client()
    login(client, create_account(visits_app, "volunteer"))
    assert ">Ymweliadau</a>" in client.get("/", headers=WELSH).text
    assert client.get("/testvisits/", headers=WELSH).text == "0 ymweliad"
    assert client.get("/testvisits/", headers={"Accept-Language": "en"}).text == "0 visits"
