"""A household's own requests, by its code: everything held about it, and its erasure,
from the command line, the API and its page. Most households are linked to no person,
so the registry's export and erasure never reach them."""

from __future__ import annotations

import json

from hub.testing import csrf_token, login

SECRET = {
    "code": "RB2207",
    "dietary": ["halal"],
    "allergies": "peanuts, sesame",
    "postcode_district": "CF24 3AA",
}


def make_household(fb) -> dict:
    household = fb.household(**SECRET)
    voucher = fb.voucher(household["id"], fb.agency()["id"], ["debt"], notes="bailiffs due Friday")
    fb.parcel(voucher_code=voucher["code"])
    return household


def test_the_command_line_exports_and_erases_a_household_by_its_code(fb, runner):
    household = make_household(fb)
    exported = runner.invoke("foodbank", "household-export", "rb2207")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)["household"]
    assert data["allergies"] == "peanuts, sesame" and data["postcode_district"] == "CF24"
    assert data["vouchers"][0]["notes"] == "bailiffs due Friday" and len(data["parcels"]) == 1

    refused = runner.invoke("foodbank", "household-erase", "RB2207", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    erased = runner.invoke("foodbank", "household-erase", "RB2207", "--yes")
    assert erased.exit_code == 0, erased.output
    assert f"it is X{household['id']} now" in erased.output

    after = fb.ok("GET", f"/households/{household['id']}", role="admin")
    assert (after["code"], after["allergies"], after["dietary"]) == (f"X{household['id']}", "", [])
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="admin")["total"] == 1

    gone = runner.invoke("foodbank", "household-erase", "RB2207", "--yes")
    assert gone.exit_code == 1 and "no household with code 'RB2207'" in gone.output
    twice = runner.invoke("foodbank", "household-erase", f"X{household['id']}", "--yes")
    assert twice.exit_code == 1 and "anonymised already" in twice.output


def test_the_household_page_offers_its_data_and_its_erasure_to_admins(app, fb):
    household = make_household(fb)
    page_url = f"/foodbank/households/{household['id']}"
    coordinator = app.test_client()
    login(coordinator, fb.accounts["coordinator"])
    assert "Erase on request" not in coordinator.get(page_url).get_data(as_text=True)
    assert coordinator.get(f"{page_url}/export.json").status_code == 403
    assert coordinator.get(f"{page_url}/erase").status_code == 403

    admin = app.test_client()
    login(admin, fb.accounts["admin"])
    page = admin.get(page_url).get_data(as_text=True)
    assert f'href="{page_url}/export.json"' in page and f'href="{page_url}/erase"' in page
    download = admin.get(f"{page_url}/export.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.json["household"]["allergies"] == "peanuts, sesame"

    confirm = admin.get(f"{page_url}/erase")
    token = csrf_token(confirm.get_data(as_text=True))
    unticked = admin.post(f"{page_url}/erase", data={"csrf_token": token})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    done = admin.post(f"{page_url}/erase", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/foodbank/households")
    after = admin.get(page_url).get_data(as_text=True)
    assert "peanuts" not in after and "RB2207" not in after and "anonymised" in after
    assert "Erase on request" not in after
