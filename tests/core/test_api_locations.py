"""Locations and their nested opening times over the API."""

from __future__ import annotations

HALL = {
    "name": "St Mary's Church Hall",
    "address": "12 Bridge Street, Riverside",
    "postcode": "cf10 1aa",
    "opening_times": [
        {"weekday": 1, "opens": "10:00", "closes": "12:30"},
        {"weekday": 4, "opens": "17:00", "closes": "19:00"},
    ],
}


def create(client, account, body=HALL):
    response = client.post("/api/v1/locations", json=body, headers=account.headers)
    assert response.status_code == 201, response.json
    return response.json


def test_create_and_read_a_location_with_opening_times(client, accounts):
    hall = create(client, accounts["coordinator"])
    assert hall["postcode"] == "CF10 1AA"
    assert hall["active"] is True
    assert [(t["weekday"], t["opens"], t["closes"]) for t in hall["opening_times"]] == [
        (1, "10:00:00", "12:30:00"),
        (4, "17:00:00", "19:00:00"),
    ]
    for role in ("admin", "coordinator", "volunteer", "viewer"):
        response = client.get(f"/api/v1/locations/{hall['id']}", headers=accounts[role].headers)
        assert response.json == hall


def test_patch_replaces_opening_times_keeping_unchanged_ones(client, accounts):
    hall = create(client, accounts["coordinator"])
    tuesday = hall["opening_times"][0]
    response = client.patch(
        f"/api/v1/locations/{hall['id']}",
        json={
            "opening_times": [
                {"weekday": 1, "opens": "10:00", "closes": "12:30"},
                {"weekday": 5, "opens": "09:30", "closes": "11:00"},
            ],
            "notes": "Side door on Saturdays",
        },
        headers=accounts["coordinator"].headers,
    )
    assert response.status_code == 200, response.json
    times = response.json["opening_times"]
    assert [t["weekday"] for t in times] == [1, 5]
    assert times[0]["id"] == tuesday["id"]
    assert response.json["name"] == HALL["name"]
    assert response.json["notes"] == "Side door on Saturdays"


def test_opening_times_are_validated(client, accounts):
    headers = accounts["coordinator"].headers
    cases = [
        ({"weekday": 7, "opens": "10:00", "closes": "11:00"}, "weekday"),
        ({"weekday": -1, "opens": "10:00", "closes": "11:00"}, "weekday"),
        ({"weekday": 2, "opens": "12:00", "closes": "11:00"}, "closes"),
        ({"weekday": 2, "opens": "12:00", "closes": "12:00"}, "closes"),
        ({"weekday": 2, "opens": "25:00", "closes": "26:00"}, "opens"),
        ({"weekday": 2, "opens": "10:00"}, "closes"),
    ]
    for opening, field in cases:
        body = {"name": "Library", "opening_times": [opening]}
        response = client.post("/api/v1/locations", json=body, headers=headers)
        assert response.status_code == 422, (opening, response.json)
        assert field in response.json["details"]["opening_times"]["0"], (opening, response.json)
    twice = {
        "name": "Library",
        "opening_times": [{"weekday": 2, "opens": "10:00", "closes": "11:00"}] * 2,
    }
    response = client.post("/api/v1/locations", json=twice, headers=headers)
    assert response.status_code == 422
    assert "opening_times" in response.json["details"]
    bad_postcode = client.post(
        "/api/v1/locations", json={"name": "Library", "postcode": "12345"}, headers=headers
    )
    assert bad_postcode.status_code == 422
    assert "postcode" in bad_postcode.json["details"]


def test_add_and_remove_one_opening_time(client, accounts):
    hall = create(client, accounts["coordinator"])
    path = f"/api/v1/locations/{hall['id']}/opening-times"
    headers = accounts["coordinator"].headers
    added = client.post(
        path, json={"weekday": 6, "opens": "14:00", "closes": "16:00"}, headers=headers
    )
    assert added.status_code == 201, added.json
    again = client.post(
        path, json={"weekday": 6, "opens": "14:00", "closes": "15:00"}, headers=headers
    )
    assert again.status_code == 409
    removed = client.delete(f"{path}/{added.json['id']}", headers=headers)
    assert removed.status_code == 204
    assert client.delete(f"{path}/{added.json['id']}", headers=headers).status_code == 404
    hall_now = client.get(f"/api/v1/locations/{hall['id']}", headers=headers).json
    assert [t["weekday"] for t in hall_now["opening_times"]] == [1, 4]


def test_list_filters_active_and_delete(client, accounts):
    headers = accounts["coordinator"].headers
    hall = create(client, accounts["coordinator"])
    closed = create(client, accounts["coordinator"], {"name": "Old Library", "active": False})
    active = client.get("/api/v1/locations?active=true", headers=headers).json
    assert [item["name"] for item in active["items"]] == [HALL["name"]]
    everything = client.get("/api/v1/locations", headers=headers).json
    assert everything["total"] == 2
    assert client.delete(f"/api/v1/locations/{closed['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/locations/{closed['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/locations/{hall['id']}", headers=headers).status_code == 200


def test_only_coordinators_and_admins_edit(client, accounts):
    hall = create(client, accounts["admin"])
    for role in ("volunteer", "viewer"):
        headers = accounts[role].headers
        assert client.post("/api/v1/locations", json=HALL, headers=headers).status_code == 403
        patch = client.patch(f"/api/v1/locations/{hall['id']}", json={"name": "X"}, headers=headers)
        assert patch.status_code == 403
        assert client.delete(f"/api/v1/locations/{hall['id']}", headers=headers).status_code == 403
