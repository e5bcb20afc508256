"""The worked examples' own tests, run by the hub's suite with each example installed as
pip would install it: its package on ``sys.path`` and a ``.dist-info`` folder whose
``entry_points.txt`` registers it on ``hub.plugins``. Writing those takes milliseconds
(pip would take seconds), the hub then finds the example by its entry point like any
third party's plugin, and it is gone again after each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.testing import install_plugin


@pytest.fixture(autouse=True)
def _example_installed(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Path(request.path).resolve().parents[1]
    install_plugin(project, tmp_path / "site-packages", monkeypatch)
