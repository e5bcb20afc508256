"""The core's commands: one clear line and a non-zero exit for every mistake."""

from __future__ import annotations

import stat
import sys

import pytest
from click.testing import CliRunner

from hub.cli import cli, main
from hub.testing import make_instance

PASSWORD = "a long enough password"


def run_main(monkeypatch, capsys, instance, *args):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(instance))
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return exited.value.code, captured.err


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


def test_unreachable_database_is_one_line(tmp_path, monkeypatch, capsys):
    instance = make_instance(
        tmp_path / "offline", "postgresql+psycopg://hub@127.0.0.1:1/hub?connect_timeout=2"
    )
    status, err = run_main(monkeypatch, capsys, instance, "db", "upgrade")
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("hub: database: connection failed:")
    assert "port 1 failed" in err


def test_database_never_upgraded_is_one_line(tmp_path, monkeypatch, capsys, hub_databases):
    instance = make_instance(tmp_path / "new", hub_databases.new("never"))
    status, err = run_main(monkeypatch, capsys, instance, "token", "create", "someone@example.org")
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("hub: database: ")
    assert err.rstrip().endswith("(run: hub db upgrade)")
