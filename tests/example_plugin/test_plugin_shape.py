"""Every plugin in the repository has the one shape of a plugin (docs/plugins.md, "The
shape of a plugin"), the shape ``hub plugin new`` writes: the shipped plugins, the worked
example, and a freshly written skeleton."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from hub import scaffold

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = sorted(
    path.parent
    for path in [*ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("examples/*/pyproject.toml")]
)
# Every plugin package has these modules, each with its one job.
MODULES = (
    "plugin.py",  # hook implementations only
    "models.py",  # tables, every name <name>_*
    "service.py",  # domain rules and domain errors, no request
    "schemas.py",  # marshmallow schemas shared by api.py and views.py
    "api.py",  # ApiBlueprint at /api/v1/<name>
    "views.py",  # page Blueprint at /<name>
    "metrics.py",  # declarations and the batch computation
    "panels.py",  # dashboard panels
    "demo.py",  # demo data
)
# Modules a plugin has when it has the hooks they serve.
WHEN_HOOKED = {
    "exchange.py": ("hub_exporters", "hub_importers"),
    "cli.py": ("hub_cli_commands",),
}


def plugin_name(project: Path) -> str:
    (entry_points,) = [tomllib.loads((project / "pyproject.toml").read_text())["project"]]
    (name,) = entry_points["entry-points"]["hub.plugins"]
    return name


def test_the_repository_has_the_plugins_it_should():
    names = {plugin_name(project) for project in PROJECTS}
    assert {"foodbank", "repaircafe", "fridge"} <= names


@pytest.fixture(params=PROJECTS, ids=lambda path: path.name)
def project(request: pytest.FixtureRequest) -> Path:
    return request.param


def check_shape(project: Path) -> None:
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    name = plugin_name(project)
    package = project / f"hub_{name}"
    assert metadata["name"] == f"hub-{name}"
    assert metadata["entry-points"]["hub.plugins"] == {name: f"hub_{name}.plugin"}
    (core,) = [Requirement(r) for r in metadata["dependencies"] if r.startswith("community-hub")]
    bounds = {spec.operator for spec in core.specifier}
    assert ">=" in bounds and "<" in bounds, f"{core}: a compatible range of core versions"
    assert (project / "README.md").is_file()

    missing = [module for module in MODULES if not (package / module).is_file()]
    assert not missing, f"{package.name} has no {missing}"
    hooks = implemented_hooks(package / "plugin.py")
    for module, needed_by in WHEN_HOOKED.items():
        if hooks & set(needed_by):
            assert (package / module).is_file(), f"{name} implements {needed_by} without {module}"
    assert "hub_compute_metrics_for_periods" in hooks and "hub_compute_metrics" not in hooks
    assert list((package / "templates" / name).glob("*.html")), f"no templates/{name}/*.html"
    assert not [p for p in (package / "templates").iterdir() if p.name != name]
    migrations = sorted((package / "migrations" / "versions").glob("*.py"))
    assert migrations[0].name == f"{name}_0001_initial.py"
    assert all(re.fullmatch(rf"{name}_\d{{4}}_\w+\.py", m.name) for m in migrations)
    assert list((project / "tests").glob("test_*.py")), "no tests/test_*.py"


def implemented_hooks(plugin_module: Path) -> set[str]:
    """The hooks ``plugin_module`` implements, checking that it holds nothing else but
    imports and constants: plugin.py is thin, its work is in the other modules."""
    tree = ast.parse(plugin_module.read_text())
    hooks = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            decorators = [ast.unparse(d) for d in node.decorator_list]
            assert decorators == ["api.hookimpl"], f"{node.name} in plugin.py is not a hook"
            assert node.name.startswith("hub_"), node.name
            hooks.add(node.name)
        else:
            kinds = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.Expr)
            assert isinstance(node, kinds), f"plugin.py holds a {type(node).__name__}"
    return hooks


def test_each_plugin_has_the_one_shape(project):
    check_shape(project)


def test_the_skeleton_has_the_one_shape(tmp_path):
    target = tmp_path / "hub-tooldesk"
    scaffold.write("tooldesk", target)
    check_shape(target)
    package_files = sorted(p.name for p in (target / "hub_tooldesk").glob("*.py"))
    assert package_files == sorted(["__init__.py", *MODULES])


def code_lines(path: Path) -> int:
    """Lines of code as cloc counts them: blank lines, comments and docstrings left out."""
    text = path.read_text()
    if path.suffix == ".html":
        return sum(1 for line in text.splitlines() if line.strip())
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    counted = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and number not in docstrings:
            counted.add(number)
    return len(counted)


def test_the_worked_example_is_small():
    """The issue's measure: a fridge's models, service, API, views, templates, metrics and
    demo in at most 250 lines (tests and migrations not counted)."""
    package = ROOT / "examples" / "hub-fridge" / "hub_fridge"
    counted = [
        package / module
        for module in ("models.py", "service.py", "api.py", "views.py", "metrics.py", "demo.py")
    ] + sorted((package / "templates").rglob("*.html"))
    total = sum(code_lines(path) for path in counted)
    assert total <= 250
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"come to {total} lines of code" in guide  # the guide says how small it is
