"""The core's commands: one clear line and a non-zero exit for every mistake."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hub import create_app
from hub.cli import cli
from hub.db import database
from hub.testing import make_instance

PASSWORD = "a long enough password"


def test_init_creates_the_instance_once(tmp_path, hub_databases):
    instance = tmp_path / "riverside"
    runner = CliRunner()
    env = {"HUB_INSTANCE_PATH": str(instance)}
    url = hub_databases.new("init")
    args = ["init", "--name", "Riverside Hub", "--town", "Riverside", "--database-url", url]
    first = runner.invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == f"Created instance at {instance}"
    assert first.output.splitlines()[-1] == (
        "Database is up to date. Next: hub user create EMAIL --role admin"
    )
    config = instance / "hub.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert 'INSTANCE_NAME = "Riverside Hub"' in config.read_text()
    again = runner.invoke(cli, args, env=env)
    assert again.output.splitlines()[0] == f"Found instance at {instance}"
    assert runner.invoke(cli, ["db", "status"], env=env).exit_code == 0


def test_user_create_with_prompt_or_stdin(runner, app, client):
    prompted = runner.invoke(
        "user", "create", "Alys@Example.org", "--role", "coordinator", input=f"{PASSWORD}\n" * 2
    )
    assert prompted.exit_code == 0, prompted.output
    assert prompted.output.splitlines()[-1] == "Created coordinator alys@example.org"
    piped = runner.invoke(
        "user",
        "create",
        "bob@example.org",
        "--role",
        "viewer",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert piped.output == "Created viewer bob@example.org\n"
    token = runner.invoke("token", "create", "ALYS@example.org", "--name", "laptop")
    assert token.exit_code == 0
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.output.strip()}"})
    assert me.json["email"] == "alys@example.org"
    assert me.json["role"] == "coordinator"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["nobody"], PASSWORD, "Error: 'nobody' is not an email address"),
        (["a@b"], PASSWORD, "Error: 'a@b' is not an email address"),
        (["c@example.org"], "short", "Error: password must be at least 10 characters"),
        (["c@example.org"], "", "Error: password must be at least 10 characters"),
        (
            ["viewer@example.org"],
            PASSWORD,
            "Error: a user with email viewer@example.org already exists",
        ),
    ],
)
def test_user_create_mistakes(runner, accounts, args, stdin, message):
    result = runner.invoke(
        "user", "create", *args, "--role", "viewer", "--password-stdin", input=stdin + "\n"
    )
    assert result.exit_code == 1
    assert result.output == message + "\n"


def test_user_create_unknown_role_and_token_for_nobody(runner):
    role = runner.invoke("user", "create", "c@example.org", "--role", "king", "--password-stdin")
    assert role.exit_code == 2
    assert "'king' is not one of 'admin', 'coordinator', 'volunteer', 'viewer'" in role.output
    token = runner.invoke("token", "create", "ghost@example.org")
    assert (token.exit_code, token.output) == (1, "Error: no user with email ghost@example.org\n")


def test_no_token_for_a_disabled_user(runner, client, accounts):
    viewer = accounts["viewer"]
    client.patch(
        f"/api/v1/users/{viewer.id}", json={"active": False}, headers=accounts["admin"].headers
    )
    token = runner.invoke("token", "create", viewer.email)
    assert (token.exit_code, token.output) == (
        1,
        "Error: viewer@example.org is disabled; enable the user first\n",
    )


def test_metrics_validation(runner):
    for period, message in [
        (
            "last-week",
            "'last-week' is not a period: use an ISO week (2025-W07) or a month (2025-02)",
        ),
        ("2025-W54", "'2025-W54': 2025 has no ISO week 54"),
        ("2025-00", "'2025-00': month must be 01 to 12"),
    ]:
        result = runner.invoke("metrics", "--period", period)
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    unknown = runner.invoke("metrics", "--plugin", "nosuch")
    assert (unknown.exit_code, unknown.output) == (1, "Error: plugin 'nosuch' is not enabled\n")
    assert runner.invoke("metrics", "--json", "--period", "2025-02").exit_code == 0


def test_import_and_export_unknown_formats(runner, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    imported = runner.invoke("import", "nosuchformat", str(data))
    assert imported.exit_code == 1
    assert imported.output.startswith("Error: unknown format 'nosuchformat'; available: ")
    assert len(imported.output.splitlines()) == 1
    exported = runner.invoke("export", "nosuchformat")
    assert exported.exit_code == 1
    assert exported.output.startswith("Error: unknown format 'nosuchformat'; available: ")
    missing = runner.invoke("import", "ords", str(tmp_path / "missing.csv"))
    assert missing.exit_code == 2
    option = runner.invoke("import", "ords", str(data), "--option", "novalue")
    assert (option.exit_code, option.output) == (1, "Error: --option 'novalue': use KEY=VALUE\n")


def test_unreachable_database_is_one_line(tmp_path, run_hub):
    instance = make_instance(
        tmp_path / "offline", "postgresql+psycopg://hub@127.0.0.1:1/hub?connect_timeout=2"
    )
    status, _, err = run_hub(instance, "db", "upgrade")
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("hub: database: connection failed:")
    assert "port 1 failed" in err


def test_database_never_upgraded_is_one_line(tmp_path, run_hub, hub_databases):
    instance = make_instance(tmp_path / "new", hub_databases.new("never"))
    status, _, err = run_hub(instance, "token", "create", "someone@example.org")
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("hub: database: ")
    assert err.rstrip().endswith("(run: hub db upgrade)")


VISITS_CSV = """day,person_id,note
2025-03-03,,First visit
2025-03-04,,
2025-13-01,,Bad date
2025-03-05,abc,
2025-03-06,999,
"""


def test_import_reports_every_row_it_cannot_take_and_is_idempotent(visits_runner, tmp_path):
    source = tmp_path / "visits.csv"
    source.write_text(VISITS_CSV)
    dry = visits_runner.invoke("import", "testvisits-csv", str(source), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[0] == (
        "Would import: 2 new, 0 updated, 0 unchanged, 3 rows not taken"
    )
    assert visits_runner.invoke("testvisits", "count").output == "0 visits\n"
    result = visits_runner.invoke("import", "testvisits-csv", str(source))
    assert result.output.splitlines() == [
        "Imported: 2 new, 0 updated, 0 unchanged, 3 rows not taken",
        "  row 3 (day): '2025-13-01' is not a date (YYYY-MM-DD)",
        "  row 4 (person_id): 'abc' is not a person id",
        "  row 5 (person_id): no person with id 999",
    ]
    again = visits_runner.invoke("import", "testvisits-csv", str(source), "--json")
    report = json.loads(again.output)
    assert (report["created"], report["unchanged"], len(report["problems"])) == (0, 2, 3)
    assert report["problems"][0] == {
        "row": 3,
        "message": "'2025-13-01' is not a date (YYYY-MM-DD)",
        "field": "day",
    }
    assert visits_runner.invoke("testvisits", "count").output == "2 visits\n"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("day,person_id,note\n2025-03-03,,Caf\xe9\n".encode("latin-1"))
    wrong = visits_runner.invoke("import", "testvisits-csv", str(latin1))
    assert (wrong.exit_code, wrong.output) == (
        1,
        f'Error: {latin1}: the file is not UTF-8 text (in a spreadsheet, save it as "CSV UTF-8")\n',
    )


def test_export_to_a_file_or_standard_output(visits_runner, tmp_path):
    source = tmp_path / "visits.csv"
    source.write_text(VISITS_CSV)
    visits_runner.invoke("import", "testvisits-csv", str(source))
    target = tmp_path / "out.csv"
    written = visits_runner.invoke("export", "testvisits-csv", "--output", str(target))
    assert written.exit_code == 0, written.output
    assert written.output == f"Wrote 2 records to {target}\n"
    lines = target.read_text().splitlines()
    assert lines[0] == "day,visitor"
    assert [line.split(",")[0] for line in lines[1:]] == ["2025-03-03", "2025-03-04"]
    printed = visits_runner.invoke("export", "testvisits-csv")
    assert printed.output.splitlines() == lines


def test_demo_data_from_every_enabled_plugin(visits_app, visits_runner):
    from hub import demo
    from hub.db import get_session

    with visits_app.app_context():
        messages = []
        logins = demo.load(visits_app, progress=messages.append)
        assert "demo data: testvisits" in messages
        assert set(logins) == {"admin", "coordinator", "volunteer", "viewer"}
        assert get_session().scalar(text("SELECT count(*) FROM testvisits_visit")) == 180
    assert visits_runner.invoke("testvisits", "count").output == "180 visits\n"


def test_demo_prepares_and_publishes_a_ready_instance(
    testvisits_installed, tmp_path, hub_databases
):
    from hub import create_app
    from hub.db import database

    instance = make_instance(tmp_path / "demo", hub_databases.new("demo"), plugins=["testvisits"])
    runner = CliRunner()
    env = {"HUB_INSTANCE_PATH": str(instance)}
    first = runner.invoke(cli, ["demo", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    assert "demo data: testvisits" in first.output
    assert "admin@example.org" in first.output and "demo-password" in first.output
    assert "published summaries: " in first.output
    assert " 0 new" not in first.output

    # The open data shows the demo's figures straight away, signed.
    demo_app = create_app(instance_path=instance)
    published = demo_app.test_client().get("/public/summaries.json")
    database(demo_app).engine.dispose()
    summaries = published.json["summaries"]
    assert {s["plugin"] for s in summaries} == {"testvisits"}
    months = [s for s in summaries if "-W" not in s["period"]]
    assert sum(s["metrics"]["visits"] for s in months) == 180

    # A second run keeps the data and publishes nothing new.
    again = runner.invoke(cli, ["demo", "--no-serve"], env=env)
    assert again.exit_code == 0, again.output
    assert "demo data already loaded" in again.output
    assert "published summaries: 0 new, 0 revised" in again.output


def test_init_makes_the_sqlite_database_private_whatever_the_umask(tmp_path):
    instance = tmp_path / "private"
    old = os.umask(0o022)  # a shell's usual umask: files readable by everyone
    try:
        result = CliRunner().invoke(cli, ["init"], env={"HUB_INSTANCE_PATH": str(instance)})
        assert result.exit_code == 0, result.output
        # Opening it again (as the server does) makes the -wal and -shm files too.
        app = create_app(instance_path=instance)
        with database(app).engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE probe (x)")
            made = sorted(path.name for path in instance.iterdir())
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in instance.iterdir()}
        database(app).engine.dispose()
    finally:
        os.umask(old)
    assert "hub.sqlite3-wal" in made
    assert modes == dict.fromkeys(made, 0o600), modes
