"""The wanted list: the categories of thing a tool library asks to be given, kept by a
coordinator through the API or its page and published as ``needed.<category>``."""

from __future__ import annotations

import datetime as dt

from hub.testing import csrf_token, login


def needs(figures: dict) -> set[str]:
    return {
        name.removeprefix("needed.")
        for name, value in figures.items()
        if value and name.startswith("needed.")
    }


def test_a_coordinator_keeps_the_wanted_list(library):
    drills = library.ok("POST", "/wanted", {"category": "drills", "note": "cordless"})
    assert (drills["category"], drills["note"], drills["opened_on"], drills["closed_on"]) == (
        "drills",
        "cordless",
        "2025-03-12",
        None,
    )
    again = library.call("POST", "/wanted", {"category": "drills"})
    assert again.status_code == 409
    assert "on the wanted list already" in again.json["details"]["category"][0]
    unknown = library.call("POST", "/wanted", {"category": "spaceships"})
    assert unknown.status_code == 422 and "category" in unknown.json["details"]
    essay = library.call("POST", "/wanted", {"category": "sanders", "note": "x" * 10_000})
    assert essay.status_code == 422 and "note" in essay.json["details"]
    assert (
        library.call("POST", "/wanted", {"category": "sewing"}, role="volunteer").status_code == 403
    )
    sewing = library.ok("POST", "/wanted", {"category": "sewing"})

    closed = library.ok("POST", f"/wanted/{sewing['id']}/close")
    assert closed["closed_on"] == "2025-03-12"
    assert library.call("POST", f"/wanted/{sewing['id']}/close").status_code == 409
    assert library.call("POST", "/wanted/9999/close").status_code == 404
    asked = library.ok("GET", "/wanted?open=true", role="viewer")["items"]
    assert [w["category"] for w in asked] == ["drills"]
    everything = library.ok("GET", "/wanted", role="viewer")["items"]
    assert [(w["category"], w["closed_on"]) for w in everything] == [
        ("drills", None),
        ("sewing", "2025-03-12"),
    ]
    # Once closed, it can be asked for again: a new entry, the old one kept.
    assert library.call("POST", "/wanted", {"category": "sewing"}).status_code == 201
    assert library.ok("GET", "/wanted", role="viewer")["total"] == 3


def test_the_wanted_list_is_in_the_openapi_document(library):
    paths = library.client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/toollibrary/wanted"]) >= {"get", "post"}
    close = paths["/api/v1/toollibrary/wanted/{wanted_id}/close"]["post"]
    assert {"200", "404", "409"} <= set(close["responses"])
    query = paths["/api/v1/toollibrary/wanted"]["get"]["parameters"]
    assert "open" in {parameter["name"] for parameter in query}


def test_the_wanted_list_is_published_as_needs_period_by_period(library, clock, published):
    library.ok("POST", "/wanted", {"category": "drills"})  # Wednesday 12 March, week 11
    sewing = library.ok("POST", "/wanted", {"category": "sewing"})
    clock.set(dt.date(2025, 3, 14))
    library.ok("POST", f"/wanted/{sewing['id']}/close")  # given on the Friday
    clock.set(dt.date(2025, 3, 24))  # Monday of week 13
    library.ok("POST", "/wanted", {"category": "ladders"})

    assert needs(published("2025-W10")) == set()
    assert needs(published("2025-W11")) == {"drills"}  # sewing was off it by Sunday
    assert needs(published("2025-W12")) == {"drills"}
    assert needs(published("2025-W13")) == {"drills", "ladders"}  # under way: today's list
    assert needs(published("2025-03")) == {"drills", "ladders"}
    february = published("2025-02")
    assert needs(february) == set() and february["needed.sewing"] == 0  # whole, zeros too


def test_the_wanted_page(library, app, accounts):
    browser = app.test_client()
    login(browser, accounts["coordinator"])
    html = browser.get("/toollibrary/wanted").get_data(as_text=True)
    assert "Nothing asked for" in html
    form = {"csrf_token": csrf_token(html), "category": "sewing", "note": "working, any age"}
    added = browser.post("/toollibrary/wanted", data=form, follow_redirects=True)
    page = added.get_data(as_text=True)
    assert "Asked for: Sewing machines and crafts." in page and "working, any age" in page
    twice = browser.post("/toollibrary/wanted", data=form)
    assert twice.status_code == 422 and "on the wanted list already" in twice.get_data(as_text=True)
    (entry,) = library.ok("GET", "/wanted?open=true")["items"]
    closed = browser.post(
        f"/toollibrary/wanted/{entry['id']}/close",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "No longer asked for: Sewing machines and crafts." in closed.get_data(as_text=True)
    assert library.ok("GET", "/wanted?open=true")["items"] == []

    volunteer = app.test_client()
    login(volunteer, accounts["volunteer"])
    assert volunteer.get("/toollibrary/wanted").status_code == 403
