"""Real data: the Repair Cafe Wales ORDS file split into one instance per group, each
importing its own rows and pushing to one network; the network's monthly totals equal
the counts taken straight from the file. (``examples/wales_network.py`` does every group.)"""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.multiprocess

codes = pytest.importorskip("hub_repaircafe.codes")

# The example's own counting, so the test also keeps the example honest.
_spec = importlib.util.spec_from_file_location(
    "wales_network", Path(__file__).parents[2] / "examples" / "wales_network.py"
)
wales_network = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wales_network)
COUNTED = wales_network.COUNTED
direct_counts = wales_network.direct_counts


def sample_groups(rows: list[dict[str, str]], count: int = 4) -> dict[str, list[dict[str, str]]]:
    """A few groups of middling size, chosen the same way every run."""
    by_group: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_group[row["group_identifier"]].append(row)
    middling = sorted(name for name, found in by_group.items() if 60 <= len(found) <= 200)
    return {name: by_group[name] for name in middling[:count]}


def test_wales_groups_federated_add_up_to_the_file(network, tmp_path: Path):
    with codes.WALES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        header, rows = reader.fieldnames, list(reader)
    groups = sample_groups(rows)
    network_hub = network.hub("wales", plugins=("repaircafe",))
    network.serve(network_hub)
    for number, (group, group_rows) in enumerate(groups.items()):
        hub = network.hub(f"group{number}", plugins=("repaircafe",), INSTANCE_NAME=group)
        split = tmp_path / f"group{number}.csv"
        with split.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=header)
            writer.writeheader()
            writer.writerows(group_rows)
        hub.cli("import", "ords", str(split))
        token = network_hub.cli("federation", "invite", "--note", group).stdout.strip()
        hub.cli("federation", "join", network_hub.url, token)
        hub.cli("federation", "publish")
        assert ", 0 refused" in hub.cli("federation", "push").stdout

    totals = {
        total["period"]: total
        for total in network_hub.get("/public/network.json").json()["totals"]
        if total["plugin"] == "repaircafe" and "W" not in total["period"]
    }
    expected = direct_counts([row for found in groups.values() for row in found])
    assert set(totals) == set(expected)
    for month, figures in expected.items():
        assert {m: totals[month]["metrics"][m] for m in COUNTED} == figures, month
    assert max(total["origins"] for total in totals.values()) >= 2
