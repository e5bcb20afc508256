"""Install the worked example plugin (examples/hub-seedlibrary) as pip would, per test.

pip would put the package on ``sys.path`` and write a ``.dist-info`` folder whose
``entry_points.txt`` registers it on ``hub.plugins``. Doing exactly that in a
temporary folder takes milliseconds, and the hub then finds the plugin by its
entry point like any third party's. It disappears again after each test, so the
rest of the suite never sees it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from hub.db import database, get_session
from hub.models import Person

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hub-seedlibrary"


def write_dist_info(site: Path, project_dir: Path) -> Path:
    """The metadata pip writes for ``project_dir``, taken from its pyproject.toml."""
    project = tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = []
    for group, entries in project.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in entries.items()]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def seedlibrary_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site-packages"
    write_dist_info(site, EXAMPLE)
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


@pytest.fixture
def app(seedlibrary_installed: Path, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """Every installed plugin, the example included, on a fresh migrated database."""
    application = make_app()
    yield application
    database(application).engine.dispose()


@pytest.fixture
def members(app: Flask) -> list[int]:
    """Six members in the people registry, as a coordinator would have added them."""
    names = ["Nia Rees", "Owain Bevan", "Siân Lloyd", "Tomos Pugh", "Angharad Wyn", "Ifan Rowlands"]
    with app.app_context():
        session = get_session()
        people = [
            Person(
                name=name,
                consent_given=True,
                consent_purpose="Seed library membership",
                retention_until=dt.date(2030, 1, 1),
            )
            for name in names
        ]
        session.add_all(people)
        session.commit()
        return [person.id for person in people]
