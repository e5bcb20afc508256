"""Fixtures for the core's tests: a third-party test plugin installed by entry point."""

from __future__ import annotations

import hashlib
import importlib
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
def testvisits_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the ``testvisits`` plugin installed, as pip would leave it, for one test."""
    monkeypatch.syspath_prepend(str(TESTVISITS))
    importlib.invalidate_caches()


@pytest.fixture
def visits_app(testvisits_installed: None, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An instance with every installed plugin enabled, ``testvisits`` among them."""
    application = make_app(name="visits")
    yield application
    database(application).engine.dispose()


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
