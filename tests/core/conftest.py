"""Fixtures for the core's tests: a third-party test plugin installed by entry point."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import database
from hub.models import ROLES
from hub.testing import Account, HubRunner, create_account

TESTVISITS = Path(__file__).parent / "testvisits"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The core alone. These tests are about the core, and migrating every
    installed plugin for each of them would only slow them down; the tests
    that are about plugins (``full_app``, ``visits_app``) say so."""
    return make_app(plugins=[])


@pytest.fixture
def testvisits_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the ``testvisits`` plugin installed, as pip would leave it, for one test."""
    monkeypatch.syspath_prepend(str(TESTVISITS))
    importlib.invalidate_caches()


@pytest.fixture
def visits_app(testvisits_installed: None, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An instance with only ``testvisits`` enabled, whatever else is installed."""
    application = make_app(name="visits", plugins=["testvisits"])
    yield application
    database(application).engine.dispose()


@pytest.fixture
def full_app(testvisits_installed: None, make_app: Callable[..., Flask]) -> Flask:
    """An instance with every installed plugin enabled, and ``testvisits`` too."""
    return make_app(name="full")


@pytest.fixture
def visits_client(visits_app: Flask) -> FlaskClient:
    return visits_app.test_client()


@pytest.fixture
def visits_accounts(visits_app: Flask) -> dict[str, Account]:
    return {role: create_account(visits_app, role) for role in ROLES}


@pytest.fixture
def visits_runner(visits_app: Flask) -> HubRunner:
    return HubRunner(visits_app)


def write_plugin(root: Path, name: str, source: str, *, version: str = "1.0") -> None:
    """Install a one-module plugin under ``root`` as pip would: module and .dist-info."""
    module = f"hub_{name}_{hashlib.sha256(source.encode()).hexdigest()[:8]}"
    (root / f"{module}.py").write_text(source)
    info = root / f"hub_{name}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: hub-{name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[hub.plugins]\n{name} = {module}\n")


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """``install_plugin(name, source)``: a one-module plugin found by entry point."""
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))

    def install(name: str, source: str, **kwargs: Any) -> None:
        write_plugin(root, name, source, **kwargs)
        importlib.invalidate_caches()

    return install


@pytest.fixture
def run_hub(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[Any, str, str]]:
    """``run_hub(instance, *args)``: run the real ``hub`` entry point, as an admin's
    shell would; gives (exit status, standard output, standard error)."""
    from hub.cli import main

    def run(instance: Path | str, *args: str) -> tuple[Any, str, str]:
        monkeypatch.setenv("HUB_INSTANCE_PATH", str(instance))
        monkeypatch.setattr(sys, "argv", ["hub", *args])
        try:
            main()
            status: Any = 0
        except SystemExit as exc:
            status = exc.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
