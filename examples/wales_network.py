"""The Repair Cafe Wales network, for real: one hub instance per group, federated.

    python examples/wales_network.py [--groups N] [--folder DIR]

Splits the Repair Cafe Wales ORDS file (shipped with the repaircafe plugin)
into one file per group, makes one instance per group that imports its own
rows, joins a network aggregator served on a loopback port, publishes and
pushes its signed summaries. Then it compares the network's monthly totals
with counts taken straight from the file and prints every month that differs
(none should). ``tests/federation/test_wales.py`` does the same for a sample
of groups on every test run.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from werkzeug.serving import WSGIRequestHandler, make_server

from hub import create_app, migrate
from hub.cli import cli, write_config
from hub.db import database
from hub.federation import identity

COUNTED = ("events_held", "items_brought", "items_fixed", "items_repairable", "items_end_of_life")
STATUS = {
    "items_fixed": "Fixed",
    "items_repairable": "Repairable",
    "items_end_of_life": "End of life",
}


class Quiet(WSGIRequestHandler):
    def log_request(self, *_args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def instance(folder: Path, name: str, base_url: str, region: str) -> Path:
    path = folder / name
    path.mkdir(parents=True)
    write_config(
        path,
        {
            "INSTANCE_NAME": name,
            "BASE_URL": base_url,
            "SECRET_KEY": "example-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{path / 'hub.sqlite3'}",
            "PLUGINS": ["repaircafe"],
            "LOCALITY": {"town": name, "region": region, "country": "GB"},
            "FEDERATION_ALLOW_PRIVATE": True,  # the aggregator runs on loopback here
        },
    )
    identity.ensure_keypair(path)
    app = create_app(instance_path=path)
    migrate.upgrade(app)
    database(app).engine.dispose()
    return path


def hub(path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"HUB_INSTANCE_PATH": str(path)})
    if result.exit_code != 0:
        sys.exit(f"hub {' '.join(args)} failed on {path.name}: {result.output}")
    return result.stdout


def direct_counts(rows: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    months: dict[str, Counter[str]] = defaultdict(Counter)
    events: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in rows:
        month = row["event_date"][:7]
        months[month]["items_brought"] += 1
        for metric, status in STATUS.items():
            months[month][metric] += row["repair_status"] == status
        events[month].add((row["group_identifier"], row["event_date"]))
    return {
        month: {**{m: counts[m] for m in COUNTED[1:]}, "events_held": len(events[month])}
        for month, counts in months.items()
    }


def main() -> None:
    from hub_repaircafe.codes import WALES_FILE

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=0, help="Only the N largest groups (0: all).")
    parser.add_argument("--folder", type=Path, default=None, help="Keep the instances here.")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="wales-network-"))
    folder.mkdir(parents=True, exist_ok=True)

    with WALES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        header, rows = list(reader.fieldnames or []), list(reader)
    by_group: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_group[row["group_identifier"]].append(row)
    groups = sorted(by_group, key=lambda g: -len(by_group[g]))
    if args.groups:
        groups = groups[: args.groups]

    port = free_port()
    network = instance(folder, "network", f"http://127.0.0.1:{port}", "Wales")
    served = make_server(
        "127.0.0.1", port, create_app(instance_path=network), threaded=True, request_handler=Quiet
    )
    threading.Thread(target=served.serve_forever, daemon=True).start()
    started = time.perf_counter()
    try:
        for number, group in enumerate(groups, 1):
            path = instance(
                folder, f"group{number:03d}", f"https://group{number:03d}.example.org", "Wales"
            )
            split = path / "ords.csv"
            with split.open("w", newline="", encoding="utf-8") as stream:
                writer = csv.DictWriter(stream, fieldnames=header)
                writer.writeheader()
                writer.writerows(by_group[group])
            hub(path, "import", "ords", str(split))
            token = hub(network, "federation", "invite", "--note", group).strip()
            hub(path, "federation", "join", f"http://127.0.0.1:{port}", token)
            hub(path, "federation", "publish")
            hub(path, "federation", "push")
            print(f"\r{number}/{len(groups)} groups federated", end="", file=sys.stderr)
        print(file=sys.stderr)
        app = create_app(instance_path=network)
        answer = app.test_client().get("/public/network.json").json
        database(app).engine.dispose()
    finally:
        served.shutdown()

    network_months = {
        t["period"]: t
        for t in answer["totals"]
        if t["plugin"] == "repaircafe" and "W" not in t["period"]
    }
    expected = direct_counts([row for group in groups for row in by_group[group]])
    differing = [
        month
        for month, figures in sorted(expected.items())
        if {m: network_months.get(month, {}).get("metrics", {}).get(m) for m in COUNTED} != figures
    ]
    print(
        f"{len(groups)} groups, {sum(len(by_group[g]) for g in groups):,} repairs, "
        f"{len(expected)} months, in {time.perf_counter() - started:.0f} s ({os.cpu_count()} cores)"
    )
    for month in sorted(expected)[-6:]:
        print(
            f"  {month}: file {expected[month]}  network {dict((m, network_months[month]['metrics'][m]) for m in COUNTED)}"
        )
    if differing:
        sys.exit(
            f"network totals differ from the file in {len(differing)} months: {differing[:10]}"
        )
    print(
        f"Network monthly totals equal the file's counts in all {len(expected)} months. Instances: {folder}"
    )


if __name__ == "__main__":
    main()
