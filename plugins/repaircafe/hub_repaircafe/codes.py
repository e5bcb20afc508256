"""The Open Repair Data Standard v0.3 codelists, with the stable codes we publish.

Product categories come from the ORDS codelist shipped in ``data/``; each also
has a stable slug code (``data/category_impact.csv``) used in metric names so
that networks add up like with like. Repair statuses and barriers are small
fixed lists; barrier labels seen in real files vary ("Item too worn out",
"Product too worn out", "Too worn out"), so every known spelling maps onto one
code and exports always use the ORDS schema's spelling.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hub_repaircafe.i18n import N_

DATA = Path(__file__).parent / "data"
CATEGORIES_FILE = DATA / "OpenRepairData_v0.3_Product_Categories.csv"
IMPACT_FILE = DATA / "category_impact.csv"
TABLESCHEMA_FILE = DATA / "tableschema.json"
WALES_FILE = DATA / "OpenRepairData_v0.3_RepairCafeWales_202507.csv"

# status code -> ORDS label
STATUSES: dict[str, str] = {
    "fixed": N_("Fixed"),
    "repairable": N_("Repairable"),
    "end_of_life": N_("End of life"),
    "unknown": N_("Unknown"),
}
STATUS_BY_LABEL = {label.lower(): code for code, label in STATUSES.items()}

# barrier code -> ORDS label (as the v0.3 table schema spells it)
BARRIERS: dict[str, str] = {
    "spare-parts-not-available": N_("Spare parts not available"),
    "spare-parts-too-expensive": N_("Spare parts too expensive"),
    "no-way-to-open": N_("No way to open product"),
    "repair-info-not-available": N_("Repair information not available"),
    "lack-of-equipment": N_("Lack of equipment"),
    "too-worn-out": N_("Too worn out"),
}
_BARRIER_ALIASES = {
    "no way to open the product": "no-way-to-open",
    "item too worn out": "too-worn-out",
    "product too worn out": "too-worn-out",
}
BARRIER_BY_LABEL = {label.lower(): code for code, label in BARRIERS.items()} | _BARRIER_ALIASES


@dataclass(frozen=True)
class Category:
    """One ORDS product category, with our stable code and impact defaults."""

    id: int
    code: str
    label: str
    weight_g: int
    co2e_g_per_kg: int


@functools.cache
def categories() -> dict[int, Category]:
    """Every ORDS product category by its ORDS id, in id order."""
    with CATEGORIES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        labels = {
            int(row["product_category_id"]): row["product_category"]
            for row in csv.DictReader(stream)
        }
    with IMPACT_FILE.open(newline="", encoding="utf-8") as stream:
        impact = {int(row["product_category_id"]): row for row in csv.DictReader(stream)}
    return {
        ident: Category(
            id=ident,
            code=impact[ident]["code"],
            label=label,
            weight_g=int(Decimal(impact[ident]["weight_kg"]) * 1000),
            co2e_g_per_kg=int(Decimal(impact[ident]["kg_co2e_per_kg"]) * 1000),
        )
        for ident, label in sorted(labels.items())
    }


@functools.cache
def category_by_code() -> dict[str, Category]:
    return {category.code: category for category in categories().values()}


def category_codelist() -> dict[str, str]:
    """Metric codelist: stable code -> ORDS label."""
    return {category.code: category.label for category in categories().values()}
