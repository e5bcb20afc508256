"""After a person is erased, none of their values is left anywhere the hub keeps
data: the database files (SQLite's main and -wal files; PostgreSQL's pages, read
raw), the audit log, and the server's logs, access log included.

The instance runs under gunicorn (``hub serve``), as in production, so its real
access log is searched too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.db import database
from hub.testing import create_account, postgres_url

pytestmark = pytest.mark.multiprocess

HUB = str(Path(sys.executable).parent / "hub")
PERSON = {
    "name": "Zebedee Quillfeather",
    "email": "zebedee.quill@example.net",
    "phone": "07700 900417",
    "notes": "Walnut allergy; lives with his sister Philippa Quillfeather",
    "consent_given": True,
    "consent_purpose": "texts about Tuesday appointments at Marlpit chapel",
}
EARLIER = {"name": "Zebedee Quilfeather", "notes": "first visit, referred by Marlpit surgery"}
HOUSEHOLD = {"code": "QZ7741", "adults": 2, "allergies": "sesame and lupin (severe)"}


def secrets_of_the_person() -> list[str]:
    values = [*PERSON.values(), *EARLIER.values(), HOUSEHOLD["code"], HOUSEHOLD["allergies"]]
    return [value for value in values if isinstance(value, str)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_INSTANCE_PATH"] = app.instance_path
    with log.open("ab") as out:
        process = subprocess.Popen(
            [HUB, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            httpx.get(f"http://127.0.0.1:{port}/.well-known/hub", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(log.read_text()[-2000:])


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def found_in_sqlite_files(url: str, needles: list[str]) -> dict[str, list[str]]:
    main = Path(make_url(url).database)
    hits = {}
    for kind, path in (("main", main), ("wal", main.with_name(main.name + "-wal"))):
        data = path.read_bytes() if path.exists() else b""
        hits[kind] = [n for n in needles if n.encode() in data or n.lower().encode() in data]
    return hits


def found_in_postgres_pages(url: str, needles: list[str]) -> dict[str, list[str]]:
    """Every page of every table, index and TOAST table of the instance's schema, raw."""
    schema = make_url(url).query["options"].split("=", 1)[1]
    engine = create_engine(postgres_url())
    hits: dict[str, list[str]] = {}
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            relations = connection.execute(
                text(
                    "SELECT c.oid::regclass::text, c.relkind FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema "
                    "AND c.relkind IN ('r', 'i') UNION ALL "
                    "SELECT t.oid::regclass::text, 't' FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_class t ON t.oid = c.reltoastrelid WHERE n.nspname = :schema"
                ),
                {"schema": schema},
            ).all()
            for relation, _kind in relations:
                pages = connection.scalar(
                    text("SELECT pg_relation_size(CAST(:r AS regclass)) / 8192"), {"r": relation}
                )
                for block in range(pages or 0):
                    page = connection.scalar(
                        text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": block}
                    )
                    for needle in needles:
                        if needle.encode() in page or needle.lower().encode() in page:
                            hits.setdefault(relation, []).append(needle)
    finally:
        engine.dispose()
    return hits


def test_an_erased_person_leaves_no_value_in_files_audit_or_logs(make_app, tmp_path):
    app = make_app(name="erasure", plugins=["foodbank"])
    coordinator = create_account(app, "coordinator").headers
    admin = create_account(app, "admin").headers
    port = free_port()
    log = tmp_path / "server.log"
    server = serve(app, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            created = http.post(
                "/api/v1/people", json={**PERSON, **EARLIER}, headers=coordinator
            ).json()
            person = f"/api/v1/people/{created['id']}"
            # Each change leaves old copies of the row in the -wal file or as dead rows.
            for change in ({"name": PERSON["name"]}, {"notes": PERSON["notes"]}, {"phone": None}):
                assert http.patch(person, json=change, headers=coordinator).status_code == 200
            assert http.patch(
                person, json={"phone": PERSON["phone"]}, headers=coordinator
            ).is_success
            household = http.post(
                "/api/v1/foodbank/households",
                json={**HOUSEHOLD, "person_id": created["id"]},
                headers=coordinator,
            )
            assert household.status_code == 201, household.text
            # Searches by name and code reach the access log's request lines.
            for term in ("Zebedee Quillfeather", "QZ7741", PERSON["email"]):
                assert http.get(
                    "/api/v1/people", params={"q": term}, headers=coordinator
                ).is_success
                http.get("/people/", params={"q": term}, headers={"Referer": f"{base}/?q={term}"})
            erased = http.post(f"{person}/erase", headers=admin)
            assert erased.status_code == 200, erased.text
            audit_log = http.get("/api/v1/audit", params={"per_page": 200}, headers=admin).text
            after = http.get(person, headers=admin).json()
        # Read while the server runs, as anyone copying the files off the machine would.
        database(app).engine.dispose()
        url = app.config["DATABASE_URL"]
        if postgres_url() is None:
            in_files = found_in_sqlite_files(url, secrets_of_the_person())
        else:
            in_files = found_in_postgres_pages(url, secrets_of_the_person())
    finally:
        stop(server)

    needles = secrets_of_the_person()
    assert after["name"] == "(erased)" and after["email"] is None
    assert "QZ7741" not in audit_log and "erase" in audit_log
    assert [n for n in needles if n in audit_log] == []
    server_log = log.read_text()
    assert "GET /api/v1/people " in server_log  # the access log is there, without queries
    assert [n for n in needles if n in server_log or n.replace(" ", "+") in server_log] == []
    assert in_files == ({"main": [], "wal": []} if postgres_url() is None else {})


# A household no person is linked to, as 1,159 of the demo's 1,163 are.
LONE_HOUSEHOLD = {
    "code": "QH4419",
    "adults": 1,
    "children_5_11": 2,
    "dietary": ["kosher", "no_cooking"],
    "allergies": "tree nuts and kiwi (anaphylaxis)",
    "postcode_district": "KW17 2AB",
}
VOUCHER_NOTES = "Left the flat on Ashgrove Road with her son Tobias; no income yet"


def secrets_of_the_household() -> list[str]:
    return [
        "QH4419",
        "tree nuts and kiwi",
        "anaphylaxis",
        "kosher",
        "no_cooking",
        "KW17",
        "Ashgrove",
    ]


def test_an_erased_household_leaves_no_value_in_files_audit_or_logs(make_app, tmp_path):
    app = make_app(name="household", plugins=["foodbank"])
    volunteer = create_account(app, "volunteer").headers
    coordinator = create_account(app, "coordinator").headers
    admin = create_account(app, "admin").headers
    port = free_port()
    log = tmp_path / "server.log"
    server = serve(app, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            made = http.post("/api/v1/foodbank/households", json=LONE_HOUSEHOLD, headers=volunteer)
            assert made.status_code == 201, made.text
            household = f"/api/v1/foodbank/households/{made.json()['id']}"
            # Each change leaves old copies of the row in the -wal file or as dead rows.
            for change in ({"adults": 2}, {"allergies": "tree nuts and kiwi (anaphylaxis)!"}):
                assert http.patch(household, json=change, headers=volunteer).is_success
            agency = http.post(
                "/api/v1/foodbank/agencies",
                json={"name": "Citizens Advice Kirkwall", "agency_type": "advice"},
                headers=coordinator,
            ).json()
            voucher = http.post(
                "/api/v1/foodbank/vouchers",
                json={
                    "agency_id": agency["id"],
                    "household_id": made.json()["id"],
                    "reasons": ["domestic_abuse"],
                    "notes": VOUCHER_NOTES,
                },
                headers=volunteer,
            )
            assert voucher.status_code == 201, voucher.text
            # The request comes by code: found through the API, as a caseworker would.
            found = http.get(
                "/api/v1/foodbank/households", params={"code": "qh4419"}, headers=admin
            ).json()["items"]
            assert [each["id"] for each in found] == [made.json()["id"]]
            exported = http.get(f"{household}/export", headers=admin)
            assert exported.status_code == 200 and exported.headers["Cache-Control"] == "no-store"
            held = exported.json()["household"]
            assert held["allergies"].startswith("tree nuts") and held["code"] == "QH4419"
            assert held["vouchers"][0]["notes"] == VOUCHER_NOTES
            assert http.post(f"{household}/erase", headers=coordinator).status_code == 403
            erased = http.post(f"{household}/erase", headers=admin)
            assert erased.status_code == 200, erased.text
            again = http.post(f"{household}/erase", headers=admin)
            assert again.status_code == 409
            audit_log = http.get("/api/v1/audit", params={"per_page": 200}, headers=admin).text
            after = http.get(household, headers=admin).json()
        database(app).engine.dispose()
        url = app.config["DATABASE_URL"]
        if postgres_url() is None:
            in_files = found_in_sqlite_files(url, secrets_of_the_household())
        else:
            in_files = found_in_postgres_pages(url, secrets_of_the_household())
    finally:
        stop(server)

    assert erased.json()["records"] == 2  # the household and its voucher's notes
    assert after["code"] == f"X{after['id']}" and after["allergies"] == "" and after["anonymised"]
    assert after["dietary"] == [] and after["postcode_district"] == ""
    assert '"erase"' in audit_log and "foodbank_household" in audit_log
    needles = secrets_of_the_household()
    assert [n for n in needles if n in audit_log or n.lower() in audit_log.lower()] == []
    server_log = log.read_text()
    assert "POST /api/v1/foodbank/households/" in server_log  # the access log is there
    assert [n for n in needles if n.lower() in server_log.lower()] == []
    assert in_files == ({"main": [], "wal": []} if postgres_url() is None else {})
