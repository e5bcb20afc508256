"""The people registry over the API: search, filters, pagination, changes, roles."""

from __future__ import annotations

import datetime as dt

PEOPLE = [
    {"name": "Aisha Rahman", "email": "aisha@example.org", "phone": "07700 900123"},
    {"name": "Bryn Davies", "email": "bryn.davies@example.net", "consent_given": True},
    {"name": "Ceri Jones", "phone": "+44 29 2018 0000", "retention_until": "2020-01-31"},
]


def add(client, account, **fields):
    response = client.post("/api/v1/people", json=fields, headers=account.headers)
    assert response.status_code == 201, response.json
    return response.json


def test_coordinator_adds_a_person_with_a_default_retention_date(client, accounts, app):
    person = add(client, accounts["coordinator"], **PEOPLE[1])
    assert person["name"] == "Bryn Davies"
    assert person["consent_given"] is True
    assert person["consent_at"] is not None
    expected = dt.date.today() + dt.timedelta(days=app.config["RETENTION_DAYS"])
    assert person["retention_until"] == expected.isoformat()
    fetched = client.get(f"/api/v1/people/{person['id']}", headers=accounts["volunteer"].headers)
    assert fetched.json == person


def test_search_by_name_email_or_phone_and_filters(client, accounts):
    for fields in PEOPLE:
        add(client, accounts["coordinator"], **fields)
    headers = accounts[
        "coordinator"
    ].headers  # people.list (volunteers: plugins/foodbank/tests/test_roles.py)

    def names(query):
        response = client.get(f"/api/v1/people?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [p["name"] for p in response.json["items"]]

    assert names("q=RAHMAN") == ["Aisha Rahman"]
    assert names("q=example.net") == ["Bryn Davies"]
    assert names("q=2018") == ["Ceri Jones"]
    assert names("q=%25") == []  # a literal %, not a wildcard
    assert names("consent=true") == ["Bryn Davies"]
    assert names("consent=false") == ["Aisha Rahman", "Ceri Jones"]
    assert names("retention_before=2021-01-01") == ["Ceri Jones"]
    assert names("erased=false") == ["Aisha Rahman", "Bryn Davies", "Ceri Jones"]
    assert names("erased=true") == []


def test_list_is_paginated(client, accounts):
    for number in range(5):
        add(client, accounts["coordinator"], name=f"Person {number}")
    response = client.get("/api/v1/people?per_page=2&page=3", headers=accounts["admin"].headers)
    assert response.json["total"] == 5
    assert response.json["pages"] == 3
    assert [p["name"] for p in response.json["items"]] == ["Person 4"]
    too_many = client.get("/api/v1/people?per_page=500", headers=accounts["admin"].headers)
    assert too_many.status_code == 422
    assert "per_page" in too_many.json["details"]


def test_changing_consent_and_details(client, accounts):
    person = add(client, accounts["coordinator"], name="Dai Price", consent_given=True)
    response = client.patch(
        f"/api/v1/people/{person['id']}",
        json={"consent_given": False, "email": "Dai@Example.org", "phone": None},
        headers=accounts["coordinator"].headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["consent_given"] is False
    assert response.json["consent_at"] is None
    assert response.json["email"] == "dai@example.org"
    assert response.json["name"] == "Dai Price"


def test_bad_input_names_the_field(client, accounts):
    headers = accounts["coordinator"].headers
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Eve", "email": "not-an-email"}, "email"),
        ({"name": "Eve", "phone": "call me"}, "phone"),
        ({"name": "Eve", "retention_until": "next year"}, "retention_until"),
        ({"name": "Eve", "retention_until": None}, "retention_until"),
        ({"name": "Eve", "consent_given": "maybe"}, "consent_given"),
        ({"name": "Eve", "favourite_colour": "blue"}, "favourite_colour"),
        ({"name": ["Eve"]}, "name"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/people", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["details"], (body, response.json)


def test_roles(client, accounts):
    person = add(client, accounts["coordinator"], name="Fflur Morgan")
    path = f"/api/v1/people/{person['id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=accounts["viewer"].headers).status_code == 403
    assert client.get(path, headers=accounts["volunteer"].headers).status_code == 200
    for role in ("volunteer", "viewer"):
        denied = client.patch(path, json={"name": "X"}, headers=accounts[role].headers)
        assert denied.status_code == 403
        assert denied.json["details"] == {"permission": ["people.edit"]}
    assert client.get(path + "/export", headers=accounts["coordinator"].headers).status_code == 403
    assert client.post(path + "/erase", headers=accounts["coordinator"].headers).status_code == 403


def test_unknown_person_is_404(client, accounts):
    headers = accounts["admin"].headers
    for method, path in [
        ("get", "/api/v1/people/9999"),
        ("get", "/api/v1/people/9999/export"),
        ("post", "/api/v1/people/9999/erase"),
        ("get", f"/api/v1/people/{2**70}"),
    ]:
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 404, (path, response.json)
        assert response.json["error"]
    patched = client.patch("/api/v1/people/9999", json={"name": "X"}, headers=headers)
    assert patched.status_code == 404
