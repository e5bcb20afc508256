"""The plugin boundary is enforced: plugins, their migrations and their tests
import from the core only hub.plugin_api (and hub.testing in tests), never
another plugin, and the migration template writes migrations that comply."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy import inspect

from hub.db import database
from hub.testing import HubRunner

ROOT = Path(__file__).resolve().parents[2]


def _contracts():
    spec = importlib.util.spec_from_file_location(
        "import_contracts", ROOT / "tests" / "import_contracts.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


contracts = _contracts()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_contract_finds_imports_import_linter_cannot_see(tmp_path):
    write(
        tmp_path,
        {
            "plugins/alpha/hub_alpha/__init__.py": "from hub import plugin_api as api\n",
            "plugins/alpha/hub_alpha/plugin.py": "def later():\n    from hub import db\n",
            "plugins/alpha/hub_alpha/migrations/versions/alpha_0001.py": "import hub.db\n",
            "plugins/alpha/tests/conftest.py": "from hub.testing import login\n",
            "plugins/alpha/tests/test_x.py": "from hub.models import User\nimport hub_beta\n",
            "plugins/beta/hub_beta/__init__.py": "from hub import testing, plugin_api\n",
            "plugins/beta/tests/test_y.py": "from hub import testing\nimport hub\n",
            "plugins/notaplugin/readme.py": "import hub.db\n",
        },
    )
    folders = contracts.plugin_folders(["plugins/*"], tmp_path)
    assert [folder.name for folder in folders] == ["alpha", "beta"]
    found = [
        (str(bad.path.relative_to(tmp_path)), bad.line, bad.module, bad.why)
        for bad in contracts.bad_imports(folders)
    ]
    assert found == [
        (
            "plugins/alpha/hub_alpha/migrations/versions/alpha_0001.py",
            1,
            "hub.db",
            "only hub.plugin_api from hub",
        ),
        ("plugins/alpha/hub_alpha/plugin.py", 2, "hub.db", "only hub.plugin_api from hub"),
        (
            "plugins/alpha/tests/test_x.py",
            1,
            "hub.models",
            "only hub.plugin_api and hub.testing from hub",
        ),
        ("plugins/alpha/tests/test_x.py", 2, "hub_beta", "plugins never import each other"),
        ("plugins/beta/hub_beta/__init__.py", 1, "hub.testing", "only hub.plugin_api from hub"),
        ("plugins/beta/tests/test_y.py", 2, "hub", "only hub.plugin_api and hub.testing from hub"),
    ]


def test_this_repositorys_plugins_keep_the_contract():
    folders = contracts.plugin_folders(["plugins/*", "examples/*"])
    assert {"foodbank", "repaircafe", "hub-fridge"} <= {folder.name for folder in folders}
    assert [str(bad) for bad in contracts.bad_imports(folders)] == []


STAMPS = """
import datetime as dt
from pathlib import Path

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub import plugin_api as api


class Stamp(api.Model):
    __tablename__ = "stamps_stamp"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    stamped_at: Mapped[dt.datetime] = mapped_column(default=api.now)


@api.hookimpl
def hub_models():
    return api.PluginModels((Stamp,), Path(__file__).parent / "stamps_migrations")
"""


def test_a_generated_plugin_migration_imports_only_the_public_api(make_app, install_plugin):
    install_plugin("stamps", STAMPS)
    app = make_app(plugins=["stamps"])
    runner = HubRunner(app)
    generated = runner.invoke("db", "revision", "--component", "stamps", "-m", "initial")
    assert generated.exit_code == 0, generated.output
    [migration] = app.extensions["hub.plugin_models"]["stamps"].migrations.glob("*.py")
    text = migration.read_text()
    assert "from hub import plugin_api" in text
    assert "plugin_api.UTCDateTime(timezone=True)" in text
    assert "hub.db" not in text
    assert [module for _, module in contracts._imports(migration) if module.startswith("hub")] == [
        "hub.plugin_api"
    ]
    upgraded = runner.invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "stamps_stamp" in inspect(database(app).engine).get_table_names()
