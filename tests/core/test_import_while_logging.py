"""Volunteers keep logging parcels while a 30,000-row spreadsheet is imported: the
import commits in short transactions, so SQLite's one write lock is never held
for long, and a database that is busy answers 503 with Retry-After, never 500."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hub.db import get_session
from hub.models import Location
from hub.testing import create_account, postgres_url

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(postgres_url() is not None, reason="SQLite's single writer"),
]

HUB = str(Path(sys.executable).parent / "hub")
ROWS = 30_000


def write_sheet(path: Path) -> None:
    start = dt.date(2023, 1, 2)
    lines = ["date,household,type,adults,children,weight_grams"]
    for n in range(ROWS):
        given = start + dt.timedelta(days=n % 700)
        lines.append(f"{given.isoformat()},IMP{n % 4000:05d},emergency,{1 + n % 3},{n % 4},9000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_parcels_are_logged_while_a_30000_row_import_runs(make_app, tmp_path):
    app = make_app(name="busy", plugins=["foodbank"])
    volunteer = create_account(app, "volunteer").headers
    with app.app_context():
        session = get_session()
        hall = Location(name="St Mary's Church Hall", postcode="CF11 6AA")
        session.add(hall)
        session.commit()
        hall_id = hall.id
    client = app.test_client()
    household = client.post(
        "/api/v1/foodbank/households", json={"code": "LIVE01", "adults": 1}, headers=volunteer
    ).json["id"]
    sheet = tmp_path / "parcels.csv"
    write_sheet(sheet)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_INSTANCE_PATH"] = app.instance_path
    importing = subprocess.Popen(
        [HUB, "import", "foodbank-parcels", str(sheet)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    statuses: list[int] = []
    waits: list[float] = []
    try:
        time.sleep(2)  # the import is under way, past its first commits
        while importing.poll() is None and len(statuses) < 40:
            started = time.monotonic()
            response = client.post(
                "/api/v1/foodbank/parcels",
                json={"household_id": household, "location_id": hall_id},
                headers={**volunteer, "Idempotency-Key": uuid.uuid4().hex},
            )
            waits.append(time.monotonic() - started)
            statuses.append(response.status_code)
            assert response.status_code in (201, 503), response.get_data(as_text=True)
            if response.status_code == 503:
                assert response.headers["Retry-After"].isdigit()
            time.sleep(0.2)
        during = len(statuses)
        output, _ = importing.communicate(timeout=600)
    finally:
        if importing.poll() is None:
            importing.kill()
    assert importing.returncode == 0, output
    assert f"Imported: {ROWS} new" in output
    assert during >= 10, "the import finished before parcels could be logged alongside it"
    assert statuses.count(201) == during, statuses
    assert max(waits) < 5, [round(w, 2) for w in waits]
    listed = client.get("/api/v1/foodbank/parcels", query_string={"per_page": 1}, headers=volunteer)
    assert listed.json["total"] == ROWS + during
