"""Least privilege in the food bank, role by role (docs/admin.md, "Users and roles"):
what each role reaches of households' records through the API."""

from __future__ import annotations

import pytest

from hub.testing import login

ROLES = ("admin", "coordinator", "volunteer", "viewer")


@pytest.fixture
def visited(fb):
    household = fb.household(code="TQ5521", allergies="milk")
    fb.parcel(household_id=household["id"], signposting=["debt_advice"])
    return household


# operation -> the roles that get 200; every other role gets 403
MATRIX = {
    "/parcels": set(ROLES),
    "/parcels?household_id={id}": {"admin", "coordinator", "volunteer"},
    "/households?code=TQ5521": {"admin", "coordinator", "volunteer"},
    "/households": {"admin", "coordinator"},
    "/households/{id}": {"admin", "coordinator", "volunteer"},
    "/vouchers?household_id={id}": {"admin", "coordinator", "volunteer"},
    "/households/{id}/export": {"admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_the_household_records_it_needs(fb, visited, role):
    for path, allowed in MATRIX.items():
        response = fb.call("GET", path.format(id=visited["id"]), role=role)
        assert response.status_code == (200 if role in allowed else 403), (role, path)
    erase = fb.call("POST", f"/households/{visited['id']}/erase", role=role)
    assert erase.status_code == (200 if role == "admin" else 403), role


def test_a_viewer_counts_parcels_but_cannot_group_them_by_household(fb, visited):
    (seen,) = fb.ok("GET", "/parcels", role="viewer")["items"]
    assert seen["household_id"] is None and seen["voucher_id"] is None
    assert seen["signposting"] == ["debt_advice"]  # what was offered, not to whom
    one = fb.ok("GET", f"/parcels/{seen['id']}", role="viewer")
    assert one["household_id"] is None
    (volunteer_sees,) = fb.ok("GET", "/parcels", role="volunteer")["items"]
    assert volunteer_sees["household_id"] == visited["id"]


def test_volunteers_look_people_up_exactly_and_cannot_browse_the_registry(app, fb):
    for name, email in (("Ffion Pryce", "ffion@example.net"), ("Ffion Jones", None)):
        app.test_client().post(
            "/api/v1/people",
            json={"name": name, "email": email, "notes": "takes the 7 bus"},
            headers=fb.accounts["coordinator"].headers,
        )
    volunteer = fb.accounts["volunteer"].headers

    def names(query: str, headers=volunteer) -> list[str]:
        listing = app.test_client().get(f"/api/v1/people{query}", headers=headers)
        assert listing.status_code == 200, listing.json
        return [each["name"] for each in listing.json["items"]]

    assert names("") == [] and names("?q=Ffion") == []
    assert names("?q=FFION%40example.net") == ["Ffion Pryce"]
    assert names("?q=ffion+jones") == ["Ffion Jones"]
    assert names("?q=Ffion", fb.accounts["coordinator"].headers) == ["Ffion Jones", "Ffion Pryce"]

    browser = app.test_client()
    login(browser, fb.accounts["volunteer"])
    page = browser.get("/people/").get_data(as_text=True)
    assert "Ffion" not in page and "takes the 7 bus" not in page
    assert "Ffion Pryce" in browser.get("/people/?q=ffion@example.net").get_data(as_text=True)
