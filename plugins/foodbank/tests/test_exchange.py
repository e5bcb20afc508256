"""Importing a food bank's own spreadsheet, with a column mapping and a dry run; CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

from hub.plugin_api import Location, get_session
from hub.testing import HubRunner, csrf_token, login

SHEET = """\
Date Given,Ref,Parcel,Adults,Kids,Weight (kg),Agency,Reason,Help
03/03/2025,AB12,Emergency,2,1,12.5,Citizens Advice Riverside,Low income; Debt,Debt advice
03/03/2025,CD34,Top-up,1,0,3,,,
04/03/2025,AB12,Top-up,2,1,4,,,Energy support
31/02/2025,EF56,Emergency,1,0,7,Citizens Advice Riverside,Low income,
05/03/2025,GH78,Hamper,1,0,7,,,
05/03/2025,JK90,Emergency,1,0,7,Citizens Advice Riverside,Boredom,
05/03/2025,LM11,Emergency,one,0,7,,,
2099-01-01,NP22,Emergency,1,0,7,,,
06/03/2025,QR33,Emergency,1,2,,Riverside School,Child holiday hunger,
07/03/2025,THIS-CODE-IS-FAR-TOO-LONG,Emergency,1,0,7,,,
"""

MAPPING = [
    "--option",
    "map.date=Date Given",
    "--option",
    "map.household=Ref",
    "--option",
    "map.type=Parcel",
    "--option",
    "map.children=Kids",
    "--option",
    "map.weight_kg=Weight (kg)",
    "--option",
    "map.reasons=Reason",
    "--option",
    "map.signposting=Help",
]


def _write(tmp_path, text, name="parcels.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_dry_run_reports_each_bad_row_and_stores_nothing(fb, runner, tmp_path):
    path = _write(tmp_path, SHEET)
    result = runner.invoke("import", "foodbank-parcels", path, "--dry-run", "--json", *MAPPING)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] is True
    assert report["created"] == 4
    problems = {(p["row"], p["field"]) for p in report["problems"]}
    assert problems == {
        (4, "date"),
        (5, "type"),
        (6, "reasons"),
        (7, "adults"),
        (8, "date"),
        (10, "household"),
    }
    messages = {p["row"]: p["message"] for p in report["problems"]}
    assert "31/02/2025" in messages[4]
    assert "Boredom" in messages[6]
    assert "future" in messages[8]
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 0
    assert fb.ok("GET", "/households", role="coordinator")["total"] == 0


def test_import_then_reimport_adds_nothing(fb, runner, tmp_path):
    path = _write(tmp_path, SHEET)
    first = runner.invoke("import", "foodbank-parcels", path, *MAPPING)
    assert first.exit_code == 0, first.output
    assert "Imported: 4 new, 0 updated, 0 unchanged, 6 rows not taken" in first.output
    assert "row 6 (reasons): 'Boredom' is not a referral reason" in first.output

    parcels = fb.ok("GET", "/parcels?per_page=50", role="viewer")["items"]
    assert len(parcels) == 4
    first_parcel = next(
        p for p in parcels if p["given_on"] == "2025-03-03" and p["parcel_type"] == "emergency"
    )
    assert (first_parcel["adults"], first_parcel["children"], first_parcel["weight_grams"]) == (
        2,
        1,
        12500,
    )
    assert first_parcel["signposting"] == ["debt_advice"]
    # No weight given: the usual weight for an emergency parcel for three people.
    school = next(p for p in parcels if p["given_on"] == "2025-03-06")
    assert school["weight_grams"] == 4000 + 3000 * 3

    vouchers = fb.ok("GET", "/vouchers", role="volunteer")["items"]
    assert sorted(v["reasons"] for v in vouchers) == [
        ["child_holiday_hunger"],
        ["debt", "low_income"],
    ]
    assert all(v["status"] == "redeemed" for v in vouchers)
    agencies = {
        a["name"]: a["agency_type"] for a in fb.ok("GET", "/agencies", role="viewer")["items"]
    }
    assert agencies == {"Citizens Advice Riverside": "other", "Riverside School": "other"}

    again = runner.invoke("import", "foodbank-parcels", path, *MAPPING)
    assert "Imported: 0 new, 0 updated, 4 unchanged, 6 rows not taken" in again.output
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 4


def test_import_refuses_a_sheet_it_cannot_read(fb, runner, tmp_path):
    path = _write(tmp_path, SHEET)
    no_mapping = runner.invoke("import", "foodbank-parcels", path, "--json")
    report = json.loads(no_mapping.output)
    assert report["problems"] == [
        {
            "row": 0,
            "field": "date",
            "message": "no column for 'date': choose which of the file's columns holds it",
        }
    ]
    wrong = runner.invoke("import", "foodbank-parcels", path, "--option", "map.date=When", "--json")
    assert "no column 'When'" in json.loads(wrong.output)["problems"][0]["message"]
    unknown_field = runner.invoke(
        "import", "foodbank-parcels", path, "--option", "map.colour=Ref", "--json"
    )
    assert "map.colour" in json.loads(unknown_field.output)["problems"][0]["message"]


def test_exports_round_trip(fb, runner, tmp_path):
    household = fb.household(adults=2)
    agency = fb.agency()
    voucher = fb.voucher(household["id"], agency["id"], ["low_income"])
    fb.parcel(voucher_code=voucher["code"], signposting=["energy_support"])
    fb.donation(
        dt.date(2025, 3, 5),
        "supermarket",
        [{"category": "pasta_rice", "grams": 15000, "best_before": "2026-01-01"}],
    )

    out = tmp_path / "parcels.csv"
    result = runner.invoke("export", "foodbank-parcels", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    assert rows[0]["household"] == household["code"]
    assert rows[0]["voucher"] == voucher["code"]
    assert rows[0]["reasons"] == "low_income"
    assert rows[0]["signposting"] == "energy_support"

    # The export reads back in as the same parcel: nothing new.
    back = runner.invoke("import", "foodbank-parcels", str(out), "--json")
    assert json.loads(back.output)["unchanged"] == 1

    donations = runner.invoke("export", "foodbank-donations")
    rows = list(csv.DictReader(io.StringIO(donations.output)))
    assert rows == [
        {
            "date": "2025-03-05",
            "donor_type": "supermarket",
            "source": "",
            "category": "pasta_rice",
            "grams": "15000",
            "best_before": "2026-01-01",
            "void": "",
            "void_reason": "",
        }
    ]


def test_exports_keep_voided_records_marked_and_they_read_back_voided(
    fb, runner, make_app, tmp_path
):
    """The export is the whole record: a voided parcel or donation is a row marked void,
    with its reason; imported elsewhere it comes in voided and counts nowhere."""
    household = fb.household(adults=2)
    agency = fb.agency()
    voucher = fb.voucher(household["id"], agency["id"], ["debt"])
    wrong = fb.parcel(voucher_code=voucher["code"], weight_grams=10000)
    fb.parcel(household_id=household["id"], parcel_type="top_up", weight_grams=3000)
    fb.ok("POST", f"/parcels/{wrong['id']}/void", {"reason": "=logged twice"})
    day = dt.date.today()
    donation = fb.donation(day, "supermarket", [{"category": "tinned_veg", "grams": 30000}])
    fb.ok("POST", f"/donations/{donation['id']}/void", {"reason": "counted in another"})

    out = tmp_path / "parcels.csv"
    assert runner.invoke("export", "foodbank-parcels", "--output", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    marks = sorted((row["type"], row["void"], row["void_reason"]) for row in rows)
    # The reason typed by a coordinator is formula-safe in the sheet.
    assert marks == [("emergency", "yes", "'=logged twice"), ("top_up", "", "")]
    donations = list(
        csv.DictReader(io.StringIO(runner.invoke("export", "foodbank-donations").output))
    )
    assert [(row["grams"], row["void"], row["void_reason"]) for row in donations] == [
        ("30000", "yes", "counted in another")
    ]

    # Read back here: both parcels are already held, nothing new.
    back = json.loads(runner.invoke("import", "foodbank-parcels", str(out), "--json").output)
    assert (back["created"], back["unchanged"], back["problems"]) == (0, 2, [])

    # Read into another instance: the voided parcel is there, voided with its reason.
    other = make_app(name="elsewhere", plugins=["foodbank"])
    with other.app_context():
        get_session().add(Location(name="St Mary's Church Hall"))
        get_session().commit()
    elsewhere = HubRunner(other)
    moved = json.loads(elsewhere.invoke("import", "foodbank-parcels", str(out), "--json").output)
    assert (moved["created"], moved["problems"]) == (2, [])
    month = day.strftime("%Y-%m")
    shown = elsewhere.invoke("metrics", "--plugin", "foodbank", "--period", month, "--json")
    (summary,) = json.loads(shown.output)
    figures = summary["metrics"]
    assert figures["parcels.emergency"] == 0 and figures["parcels.top_up"] == 1
    assert figures["grams_distributed"] == 3000
    again = list(csv.DictReader(io.StringIO(elsewhere.invoke("export", "foodbank-parcels").output)))
    assert sorted((row["type"], row["void"], row["void_reason"]) for row in again) == marks


def test_a_void_column_that_is_neither_yes_nor_no_is_a_row_problem(runner, tmp_path, fb):
    fb.agency()
    sheet = "date,household,type,weight_grams,void\n2025-03-03,AB12,emergency,7000,perhaps\n"
    report = json.loads(
        runner.invoke("import", "foodbank-parcels", _write(tmp_path, sheet), "--json").output
    )
    assert report["created"] == 0
    assert [(p["field"], p["row"]) for p in report["problems"]] == [("void", 1)]


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_the_import_page_checks_maps_and_imports_a_sheet(app, fb):
    admin = app.test_client()
    login(admin, fb.accounts["admin"])
    page = admin.get("/admin/imports/").text
    assert 'value="foodbank-parcels"' in page
    upload = {
        "csrf_token": csrf_token(page),
        "format": "foodbank-parcels",
        "file": (io.BytesIO(("\ufeff" + SHEET).encode()), "parcels.csv"),
    }
    first = admin.post("/admin/imports/check", data=upload, content_type="multipart/form-data")
    assert first.status_code == 200
    # The sheet's own headings: the page offers each as a column for each field.
    assert "no column for &#39;date&#39;" in first.text
    assert '<option value="Date Given">Date Given</option>' in first.text
    assert "Import " not in first.text  # nothing to import until the columns are mapped
    mapping = dict(option.split("=", 1) for option in MAPPING[1::2])
    check = {**_hidden(first.text), **mapping}
    second = admin.post("/admin/imports/check", data=check)
    assert "Would import: 4 new, 0 updated, 0 unchanged, 6 rows not taken" in second.text
    assert "31/02/2025" in second.text and "Boredom" in second.text
    assert '<option value="Date Given" selected>' in second.text
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 0  # a check stores nothing

    done = admin.post("/admin/imports/run", data={**_hidden(second.text), **mapping})
    assert "Imported: 4 new, 0 updated, 0 unchanged, 6 rows not taken" in done.text
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 4
    # The upload is gone once imported: people's details do not linger on disk.
    assert not list((Path(app.instance_path) / "uploads").glob("*.csv"))
    again = admin.post("/admin/imports/run", data={**_hidden(second.text), **mapping})
    assert again.status_code == 400 and "expired or was already imported" in again.text

    # The same sheet twice adds nothing, as on the command line.
    upload["file"] = (io.BytesIO(SHEET.encode()), "parcels.csv")
    repeat = admin.post("/admin/imports/check", data=upload, content_type="multipart/form-data")
    repeat = admin.post("/admin/imports/check", data={**_hidden(repeat.text), **mapping})
    assert "Would import: 0 new, 0 updated, 4 unchanged" in repeat.text
    assert "Import 0" not in repeat.text and 'formaction="/admin/imports/run"' not in repeat.text


def test_exported_cells_never_start_a_formula(fb, runner):
    agency = fb.agency(name='=HYPERLINK("http://example.com/x","Citizens Advice")')
    household = fb.household(adults=2)
    voucher = fb.voucher(household["id"], agency["id"], ["low_income"])
    fb.parcel(voucher_code=voucher["code"])
    fb.ok(
        "POST",
        "/donations",
        {
            "received_on": "2025-03-05",
            "donor_type": "business",
            "source": "-1+cmd|' /C calc'!A0",
            "lines": [{"category": "baby", "grams": 500}],
        },
        role="volunteer",
    )
    for export in ("foodbank-parcels", "foodbank-donations"):
        result = runner.invoke("export", export)
        assert result.exit_code == 0, result.output
        _header, *rows = list(csv.reader(io.StringIO(result.output)))
        assert rows
        for row in rows:
            assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], row
    parcels = list(csv.DictReader(io.StringIO(runner.invoke("export", "foodbank-parcels").output)))
    assert parcels[0]["agency"] == "'" + agency["name"]
    assert parcels[0]["adults"] == "2"  # numbers stay numbers
