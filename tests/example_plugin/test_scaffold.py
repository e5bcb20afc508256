"""``hub plugin new NAME`` writes a plugin that works as written: installed as pip would
install it, its API, page, panel, figures and demo work in the hub; its own tests pass
against the hub; it lints clean; it imports only the plugin API."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub import scaffold
from hub.cli import cli
from hub.testing import csrf_token, install_plugin, load_demo_data, login

from .conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture
def skeleton(tmp_path: Path) -> Path:
    target = tmp_path / "hub-tooldesk"
    result = CliRunner().invoke(cli, ["plugin", "new", "tooldesk", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Wrote 16 files" in result.output
    return target


def test_names_and_folders_it_refuses(tmp_path):
    for name in ("Tool_Desk", "x", "9lives", "a" * 40):
        result = CliRunner().invoke(cli, ["plugin", "new", name, "--output", str(tmp_path / name)])
        assert result.exit_code == 1 and "is not a plugin name" in result.output
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(
        cli, ["plugin", "new", "tooldesk", "--output", str(tmp_path / "taken")]
    )
    assert result.exit_code == 1 and "already exists" in result.output
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_the_new_plugin_works_in_the_hub(skeleton, tmp_path, monkeypatch, make_app, clock):
    install_plugin(skeleton, tmp_path / "site-packages", monkeypatch)
    app = make_app(plugins=["tooldesk"])
    from hub.testing import HubRunner, create_account

    volunteer, viewer = create_account(app, "volunteer"), create_account(app, "viewer")
    client = app.test_client()
    made = client.post(
        "/api/v1/tooldesk/entries",
        json={"kind": "general", "quantity": 4},
        headers=volunteer.headers,
    )
    assert made.status_code == 201, made.json
    assert (
        client.get(f"/api/v1/tooldesk/entries/{made.json['id']}", headers=viewer.headers).json[
            "quantity"
        ]
        == 4
    )
    document = client.get("/api/v1/openapi.json").json
    assert "/api/v1/tooldesk/entries" in document["paths"]

    browser = app.test_client()
    login(browser, volunteer)
    page = browser.get("/tooldesk/").get_data(as_text=True)
    logged = browser.post("/tooldesk/", data={"csrf_token": csrf_token(page), "kind": "other"})
    assert logged.status_code == 302
    assert "Tooldesk this week" in browser.get("/").get_data(as_text=True)

    load_demo_data(app, "tooldesk")
    runner = HubRunner(app)
    result = runner.invoke("metrics", "--plugin", "tooldesk", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures and set(figures[0]["metrics"]) == {
        "entries.general",
        "entries.other",
        "quantity",
    }
    listed = runner.invoke("plugins", "--json")
    (row,) = [row for row in json.loads(listed.output) if row["name"] == "tooldesk"]
    assert row["state"] == "enabled" and row["version"] == "0.1.0"


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


def test_its_own_tests_pass_and_it_lints_clean(skeleton, tmp_path):
    site = tmp_path / "site-packages"
    with pytest.MonkeyPatch.context() as patch:
        install_plugin(skeleton, site, patch)
    path = os.pathsep.join([str(site), str(skeleton)])
    tests = _run(
        [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:randomly"], skeleton, PYTHONPATH=path
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    longest = tmp_path / "hub-longest"
    scaffold.write("a" * 31, longest)  # names go into lines: they must still fit
    for folder in (skeleton, longest):
        for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
            linted = _run([str(BIN / command[0]), *command[1:]], folder)
            assert linted.returncode == 0, linted.stdout + linted.stderr

    (skeleton / ".importlinter").write_text(
        "[importlinter]\n"
        "root_packages =\n    hub\n    hub_tooldesk\n"
        "[importlinter:contract:plugin-api]\n"
        "name = The plugin imports only hub.plugin_api from the core\n"
        "type = forbidden\n"
        "source_modules = hub_tooldesk\n"
        "forbidden_modules = hub\n"
        "ignore_imports = hub_tooldesk.** -> hub.plugin_api\n"
        "allow_indirect_imports = true\n"
    )
    contracts = _run([str(BIN / "lint-imports")], skeleton, PYTHONPATH=path)
    assert contracts.returncode == 0, contracts.stdout + contracts.stderr
    assert "1 kept, 0 broken" in contracts.stdout
    # Its tests and migration, which are in no package, by the hub's own contract type.
    assert [str(bad) for bad in plugin_files_contract().bad_imports([skeleton])] == []


def plugin_files_contract() -> Any:
    spec = importlib.util.spec_from_file_location(
        "import_contracts", ROOT / "tests" / "import_contracts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module
