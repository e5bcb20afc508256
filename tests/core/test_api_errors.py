"""Every kind of bad request gets the right 4xx JSON error, never a 500."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate


def assert_error(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    assert set(response.json) == {"error", "details"}
    assert response.json["error"]
    if field is not None:
        assert field in response.json["details"], response.json


def test_body_errors(client, accounts):
    headers = accounts["coordinator"].headers
    post = lambda **kw: client.post("/api/v1/people", headers=headers, **kw)  # noqa: E731
    assert_error(post(data="{not json", content_type="application/json"), 400, "body")
    assert_error(post(data=b"\xff\xfe", content_type="application/json"), 400, "body")
    assert_error(post(data="name=Eve", content_type="application/x-www-form-urlencoded"), 415)
    assert_error(post(data="", content_type="application/json"), 400, "body")
    assert_error(post(json=["Eve"]), 400, "body")
    assert_error(post(json="Eve"), 400)
    assert_error(post(json={"name": 42}), 422, "name")
    assert_error(post(json={"name": "Eve", "shoe_size": 9}), 422, "shoe_size")
    assert_error(post(json={"email": "eve@example.org"}), 422, "name")
    assert_error(post(json={"name": "Eve\x00"}), 422, "name")


def test_query_errors(client, accounts):
    headers = accounts["admin"].headers
    assert_error(client.get("/api/v1/people?page=two", headers=headers), 422, "page")
    assert_error(client.get(f"/api/v1/people?page={10**30}", headers=headers), 422, "page")
    assert_error(client.get("/api/v1/people?consent=perhaps", headers=headers), 422, "consent")
    assert_error(client.get("/api/v1/people?sort=name", headers=headers), 422, "sort")
    assert_error(client.get("/api/v1/audit?user_id=99999999999999999999999", headers=headers), 422)
    # In the API's query string a blank value is a value, checked like any other.
    assert_error(client.get("/api/v1/audit?until=", headers=headers), 422, "until")
    assert_error(client.get("/api/v1/people?retention_before=", headers=headers), 422)
    assert_error(client.get("/api/v1/users?q=", headers=headers), 422, "q")


def test_values_are_taken_at_their_word(client, accounts):
    headers = accounts["admin"].headers

    def patch(body):
        return client.patch(f"/api/v1/users/{accounts['viewer'].id}", json=body, headers=headers)

    assert_error(patch({"active": 0}), 422, "active")
    assert_error(patch({"active": "false"}), 422, "active")
    assert patch({}).status_code == 200  # a PATCH needs no field at all
    assert_error(patch({"password": "short"}), 422, "password")
    weak = patch({"password": "aaaaaaaaaa"})
    assert_error(weak, 422, "password")
    assert weak.json["error"] == "invalid value"  # the rule the schema cannot state


def test_an_over_long_address_is_414_before_anything_else(client, accounts):
    long_query = "q=" + "x" * 2100
    assert_error(client.get(f"/api/v1/people?{long_query}", headers=accounts["admin"].headers), 414)
    assert_error(client.get(f"/api/v1/people?{long_query}"), 414)  # signed out too
    assert client.get(f"/people/?{long_query}").status_code == 414
    assert (
        client.get("/api/v1/people?q=" + "x" * 200, headers=accounts["admin"].headers).status_code
        == 200
    )


def test_auth_errors(client, accounts):
    assert_error(client.get("/api/v1/people"), 401, "Authorization")
    assert client.get("/api/v1/people").headers["WWW-Authenticate"] == "Bearer"
    assert_error(client.get("/api/v1/people", headers={"Authorization": "Basic abc"}), 401)
    assert_error(client.get("/api/v1/people", headers={"Authorization": "Bearer nope"}), 401)
    assert_error(client.get("/api/v1/people", headers={"Authorization": "Bearer "}), 401)
    assert_error(client.get("/api/v1/people", headers=accounts["viewer"].headers), 403)
    # Authentication comes first: a stranger learns nothing from validation errors.
    assert_error(client.post("/api/v1/people", json={"bad": 1}), 401)
    assert_error(
        client.post("/api/v1/users", json={"bad": 1}, headers=accounts["coordinator"].headers),
        403,
    )


def test_revoked_token(client, accounts):
    viewer = accounts["viewer"]
    tokens = client.get("/api/v1/tokens", headers=viewer.headers).json
    client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=viewer.headers)
    assert_error(client.get("/api/v1/me", headers=viewer.headers), 401)


def test_routing_errors(client, accounts):
    headers = accounts["admin"].headers
    assert_error(client.get("/api/v1/nothing-here", headers=headers), 404)
    assert_error(client.get("/api/v1/people/12345", headers=headers), 404, "id")
    assert_error(client.delete("/api/v1/people", headers=headers), 405)
    allowed = client.delete("/api/v1/people", headers=headers).headers["Allow"]
    assert set(allowed.split(", ")) >= {"GET", "POST"}
    assert_error(client.put("/api/v1/me", json={}, headers=headers), 405)


def test_body_too_large(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    from hub.testing import create_account

    admin = create_account(app, "admin")
    huge = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = app.test_client().post(
        "/api/v1/people", data=huge, content_type="application/json", headers=admin.headers
    )
    assert_error(response, 413)


def test_constraint_failures_are_409_not_500(visits_client, visits_accounts):
    """A plugin that forgets to check a reference still gets a clean 409."""
    response = visits_client.post(
        "/api/v1/testvisits/visits",
        json={"person_id": 4242, "day": "2025-03-03"},
        headers=visits_accounts["coordinator"].headers,
    )
    assert_error(response, 409, "database")
    # The session was rolled back: the same client goes on working.
    ok = visits_client.post(
        "/api/v1/testvisits/visits",
        json={"person_id": None, "day": "2025-03-03"},
        headers=visits_accounts["coordinator"].headers,
    )
    assert ok.status_code == 201, ok.json


def test_browser_session_writes_need_the_csrf_header(client, accounts):
    from hub.testing import login

    login(client, accounts["coordinator"])
    assert client.get("/api/v1/people").status_code == 200
    assert_error(client.post("/api/v1/people", json={"name": "Eve"}), 400, "X-CSRFToken")


@pytest.fixture
def document(full_app):
    response = full_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_openapi_document_is_valid_and_complete(document):
    validate(document)
    paths = document["paths"]
    for path, methods in {
        "/api/v1/people": {"get", "post"},
        "/api/v1/people/{person_id}": {"get", "patch"},
        "/api/v1/people/{person_id}/export": {"get"},
        "/api/v1/people/{person_id}/erase": {"post"},
        "/api/v1/locations": {"get", "post"},
        "/api/v1/locations/{location_id}": {"get", "patch", "delete"},
        "/api/v1/users": {"get", "post"},
        "/api/v1/users/{user_id}": {"get", "patch"},
        "/api/v1/audit": {"get"},
        "/api/v1/plugins": {"get"},
        "/api/v1/metrics": {"get"},
        "/api/v1/testvisits/visits": {"get", "post"},
    }.items():
        assert methods <= set(paths[path]), path
    people = {p["name"] for p in paths["/api/v1/people"]["get"]["parameters"]}
    assert {"q", "consent", "retention_before", "erased", "page", "per_page"} <= people


def test_the_document_states_every_status_an_operation_can_answer(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            answers = set(operation["responses"])
            assert {"401", "403", "414", "422", "503"} <= answers, (method, path)
            assert "Retry-After" in operation["responses"]["503"]["headers"]
            if "{" in path:
                assert "404" in answers, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert "409" in answers, (method, path)
    revoke = document["paths"]["/api/v1/tokens/{token_id}"]["delete"]["responses"]
    assert "204" in revoke and "200" not in revoke
    parcel = document["paths"]["/api/v1/foodbank/parcels"]["post"]
    assert {"200", "201", "409"} <= set(parcel["responses"])
    assert parcel["responses"]["200"]["content"] == parcel["responses"]["201"]["content"]
    key = next(p for p in parcel["parameters"] if p.get("in") == "header")
    assert key["name"] == "Idempotency-Key" and key["schema"]["pattern"]
    password = document["components"]["schemas"]["UserCreate"]["properties"]["password"]
    assert password["minLength"] == 10


def test_docs_page_renders_every_operation(full_app, document):
    response = full_app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in html
    assert "OpeningTime" in html
