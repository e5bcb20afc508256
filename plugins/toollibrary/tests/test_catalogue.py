"""The catalogue: CSV import with column mapping and a dry run, export, search, labels,
photos."""

from __future__ import annotations

import csv
import io

from PIL import Image

from hub.testing import login

SHEET = """Asset ID,Name,Category,Condition,Replacement value,Deposit,Kit parts,Restricted,Notes
T0100,Cordless drill 18V,Drills and drivers,good,£90.00,10,battery; charger,no,Two batteries
T0101,Extension ladder,ladders,fair,160,20,,yes,
T0102,Mystery object,Whatsits,,,,,,
T0103,Wallpaper steamer,wallpaper,worn,45.5,0,plate; hose,no,=HYPERLINK("http://x")
"""


def _import(runner, tmp_path, text: str, *extra: str):
    path = tmp_path / "catalogue.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(
        "import", "toollibrary-items", str(path), "--option", "map.number=Asset ID", *extra
    )


def test_importing_a_catalogue_with_a_dry_run_then_for_real_then_again(library, runner, tmp_path):
    dry = _import(runner, tmp_path, SHEET, "--dry-run")
    assert "row 3" in dry.output and "Whatsits" in dry.output, dry.output
    assert library.ok("GET", "/items")["total"] == 0

    real = _import(runner, tmp_path, SHEET)
    assert "3 new, 0 updated" in real.output, real.output
    items = {item["number"]: item for item in library.ok("GET", "/items")["items"]}
    assert set(items) == {"T0100", "T0101", "T0103"}
    drill = items["T0100"]
    assert drill["replacement_value_pence"] == 9000 and drill["deposit_pence"] == 1000
    assert drill["kit_parts"] == ["battery", "charger"] and drill["category"] == "drills"
    assert (
        items["T0101"]["restricted"] is True and items["T0103"]["replacement_value_pence"] == 4550
    )
    assert items["T0103"]["notes"] == '=HYPERLINK("http://x")'

    again = _import(runner, tmp_path, SHEET)
    assert "0 new, 0 updated, 3 unchanged" in again.output, again.output

    exported = runner.invoke("export", "toollibrary-items")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert [row["number"] for row in rows] == ["T0100", "T0101", "T0103"]
    assert rows[2]["notes"].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert rows[0]["network_category"] == "power_tools"
    # The export imports back as it was.
    (tmp_path / "export.csv").write_text(exported.output, encoding="utf-8")
    back = runner.invoke("import", "toollibrary-items", str(tmp_path / "export.csv"))
    assert "3 unchanged" in back.output, back.output


def test_an_import_says_what_is_wrong_with_each_row(library, runner, tmp_path):
    bad = "\n".join(
        [
            "number,name,replacement_value,restricted,kit_parts",
            "T1,Drill,5,no,",
            "T7,Drill,-5,no,",
            "T2,Saw,lots,no,",
            "T3,Level,1e400,no,",
            "T4,Clamp,5,maybe,",
            f"T5,{'x' * 300},5,no,",
            "T1,Drill again,5,no,",
            ",No number,5,no,",
            "T6,Sander,5.555,no,",
        ]
    )
    result = _import(runner, tmp_path, bad, "--option", "map.number=number")
    assert "1 new" in result.output and "8 rows not taken" in result.output, result.output
    for row in range(2, 10):
        assert f"row {row}" in result.output, (row, result.output)
    wrong_map = _import(runner, tmp_path, bad, "--option", "map.number=Nope")
    assert "no column 'Nope'" in wrong_map.output


def test_search_by_name_number_category_and_availability(library):
    drill = library.item("Cordless drill", "drills")
    library.item("Hammer drill", "drills")
    library.item("Lawn mower", "lawn")
    library.lend(drill, library.member())

    def numbers(query: str) -> list[str]:
        return [item["number"] for item in library.ok("GET", f"/items?{query}")["items"]]

    assert numbers("q=drill") == ["T0001", "T0002"]
    assert numbers("q=DRILL cordless") == ["T0001"]
    assert numbers("q=t0003") == ["T0003"]
    assert numbers("category=lawn") == ["T0003"]
    assert numbers("network_category=power_tools&availability=available") == ["T0002"]
    assert numbers("availability=on_loan") == ["T0001"]
    assert numbers("q=%25") == [] and numbers("q=_") == []
    assert library.call("GET", "/items?availability=lost").status_code == 422
    assert library.call("GET", "/items?q=" + "x" * 500).status_code == 422


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(out, "JPEG")
    return out.getvalue()


def test_photos_are_resized_and_labels_have_a_qr_code_and_a_barcode(library, app, accounts):
    drill = library.item()
    put = library.call("PUT", f"/items/{drill['id']}/photo")  # no image
    assert put.status_code == 415
    headers = {**accounts["coordinator"].headers, "Content-Type": "image/jpeg"}
    url = f"/api/v1/toollibrary/items/{drill['id']}/photo"
    assert library.client.put(url, data=b"not a photo", headers=headers).status_code == 422
    uploaded = library.client.put(url, data=_jpeg(4000, 3000), headers=headers)
    assert uploaded.status_code == 200 and uploaded.json["has_photo"] is True

    browser = app.test_client()
    login(browser, accounts["viewer"])
    large = Image.open(io.BytesIO(browser.get(f"/toollibrary/items/{drill['id']}/photo.jpg").data))
    thumb = Image.open(
        io.BytesIO(browser.get(f"/toollibrary/items/{drill['id']}/thumbnail.jpg").data)
    )
    assert large.size == (1200, 900) and max(thumb.size) == 240

    qr = browser.get(f"/toollibrary/items/{drill['id']}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    code = browser.get(f"/toollibrary/items/{drill['id']}/barcode.svg")
    assert code.status_code == 200 and b"T0001" in code.data
    sheet = browser.get("/toollibrary/labels?q=drill").get_data(as_text=True)
    assert f"/toollibrary/items/{drill['id']}/qr.svg" in sheet and "T0001" in sheet
