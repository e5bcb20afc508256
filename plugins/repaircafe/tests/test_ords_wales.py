"""The Repair Cafe Wales file end to end: import, figures, export, validation, re-import.

One test walks the whole round trip so the 20,190-row file is imported only as
often as the round trip needs. Expected figures are counted here from the CSV
with the csv module, independently of the plugin.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from hub_repaircafe import codes

from hub.plugin_api import csv_text

WALES = codes.WALES_FILE
SCHEMA = json.loads(codes.TABLESCHEMA_FILE.read_text())
RECORD_FIELDS = SCHEMA["resources"][0]["schema"]["fields"]
# The Wales file spells two barriers its own way; the ORDS schema's spelling is the code's label.
BARRIER_CODES = {
    "Spare parts not available": "spare-parts-not-available",
    "Spare parts too expensive": "spare-parts-too-expensive",
    "No way to open product": "no-way-to-open",
    "Repair information not available": "repair-info-not-available",
    "Lack of equipment": "lack-of-equipment",
    "Item too worn out": "too-worn-out",
    "Too worn out": "too-worn-out",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def expected_month(rows: list[dict[str, str]], month: str) -> dict[str, int]:
    """A month's figures counted straight from ORDS rows."""
    chosen = [r for r in rows if r["event_date"].startswith(month)]
    status = Counter(r["repair_status"] for r in chosen)
    with codes.IMPACT_FILE.open(newline="") as stream:
        impact = {row["product_category_id"]: row for row in csv.DictReader(stream)}
    fixed = Counter(r["product_category_id"] for r in chosen if r["repair_status"] == "Fixed")
    waste = sum(round(float(impact[c]["weight_kg"]) * 1000) * n for c, n in fixed.items())
    co2e_thousandths = sum(
        round(float(impact[c]["weight_kg"]) * 1000)
        * round(float(impact[c]["kg_co2e_per_kg"]) * 1000)
        * n
        for c, n in fixed.items()
    )
    figures = {
        "events_held": len({(r["group_identifier"], r["event_date"]) for r in chosen}),
        "items_brought": len(chosen),
        "items_fixed": status["Fixed"],
        "items_repairable": status["Repairable"],
        "items_end_of_life": status["End of life"],
        "items_unknown": status["Unknown"],
        "fix_rate_numerator": status["Fixed"],
        "fix_rate_denominator": len(chosen) - status["Unknown"],
        "waste_prevented_g": waste,
        "co2e_avoided_g": round(co2e_thousandths / 1000),
        "visitors": 0,
    }
    by_category = Counter(r["product_category_id"] for r in chosen)
    for row in impact.values():
        figures[f"items_by_category.{row['code']}"] = by_category[row["product_category_id"]]
    barriers = Counter(
        BARRIER_CODES[r["repair_barrier_if_end_of_life"]]
        for r in chosen
        if r["repair_barrier_if_end_of_life"]
    )
    for code in set(BARRIER_CODES.values()):
        figures[f"items_by_barrier.{code}"] = barriers[code]
    return figures


def enum_values(field: dict) -> set[str]:
    # The schema writes enums as one bracketed string: "[Fixed, Repairable, ...]".
    return {value.strip() for value in field["constraints"]["enum"].strip("[]").split(",")}


def assert_valid_ords(path: Path) -> list[dict[str, str]]:
    """Check a file against tableschema.json: columns, patterns, codelists, uniqueness."""
    with path.open(newline="", encoding="utf-8") as stream:
        header = next(csv.reader(stream))
    assert header == [field["name"] for field in RECORD_FIELDS]
    rows = read_csv(path)
    with codes.CATEGORIES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        codelist = {r["product_category_id"]: r["product_category"] for r in csv.DictReader(stream)}
    for field in RECORD_FIELDS:
        name, constraints = field["name"], field.get("constraints", {})
        missing = set(field.get("missingValues", []))
        present = [row[name] for row in rows if row[name] not in missing]
        if "pattern" in constraints:
            pattern = re.compile(constraints["pattern"])
            bad = [value for value in present if not pattern.match(value)]
            assert not bad, f"{name}: {bad[:3]} do not match {constraints['pattern']}"
        if "enum" in constraints:
            allowed = enum_values(field)
            assert {value for value in present} <= allowed, name
        if field["type"] == "date":
            assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", value) for value in present)
    assert len({row["id"] for row in rows}) == len(rows), "ids must be unique"
    assert all(codelist[row["product_category_id"]] == row["product_category"] for row in rows)
    return rows


def metrics_for(runner, period: str) -> dict[str, int]:
    result = runner.invoke("metrics", "--plugin", "repaircafe", "--period", period, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[0]["metrics"]


def test_wales_file_round_trip(runner, make_app, tmp_path):
    source = read_csv(WALES)

    imported = runner.invoke("import", "ords", str(WALES))
    assert imported.exit_code == 0, imported.output
    assert imported.output.startswith(
        f"Imported: {len(source)} new, 0 updated, 0 unchanged, 0 rows"
    )

    for month in ("2019-03", "2023-10", "2025-07"):
        assert metrics_for(runner, month) == expected_month(source, month)

    exported = tmp_path / "export.csv"
    result = runner.invoke("export", "ords", "--output", str(exported))
    assert result.exit_code == 0, result.output
    rows = assert_valid_ords(exported)
    assert len(rows) == len(source)
    by_id = {row["id"].replace("_", "-"): row for row in source}
    for row in rows:
        original = by_id[row["id"]]
        for field in ("product_category_id", "repair_status", "group_identifier", "event_date"):
            assert row[field] == original[field]
        # Exported text never starts a spreadsheet formula: "-. replaced" goes out as "'-. replaced".
        assert csv_text(row["brand"]) == original["brand"]
        assert csv_text(row["problem"]) == original["problem"]
        assert row["problem"][:1] not in ("=", "+", "-", "@")

    again = runner.invoke("import", "ords", str(WALES))
    assert again.output.startswith(f"Imported: 0 new, 0 updated, {len(source)} unchanged")

    # Another instance importing the export holds the same records: its export is identical.
    other = make_app(name="other")
    from hub.testing import HubRunner

    other_runner = HubRunner(other)
    assert other_runner.invoke("import", "ords", str(exported)).exit_code == 0
    second = tmp_path / "second.csv"
    other_runner.invoke("export", "ords", "--output", str(second))
    assert second.read_text() == exported.read_text()
