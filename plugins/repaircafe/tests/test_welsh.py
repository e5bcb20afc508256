"""The repair café in Welsh: every ORDS category has its Welsh name, and the quick
log, its flash and the dashboard panels speak Welsh to a Welsh reader."""

from __future__ import annotations

import csv

from hub_repaircafe import category_names, codes


def test_every_ords_category_label_is_marked_for_the_catalogue():
    with codes.CATEGORIES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        labels = {row["product_category"] for row in csv.DictReader(stream)}
    assert labels == set(category_names.LABELS)
