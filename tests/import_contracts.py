"""An import-linter contract for the plugin files its import graph cannot see.

import-linter checks packages. A plugin's tests (``plugins/<name>/tests``) and
its migrations (``migrations/versions``, loaded by Alembic by file path) are
not in any package, so this contract reads every Python file of every plugin
folder with :mod:`ast` and checks that each imports from the core only
``hub.plugin_api`` (and, in its tests, ``hub.testing``), and no other plugin.
``make lint`` runs it with the other contracts (see ``[tool.importlinter]`` in
pyproject.toml), and a test proves it fails when broken.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ("hub.plugin_api",)
IN_TESTS = ("hub.plugin_api", "hub.testing")


@dataclass(frozen=True)
class BadImport:
    path: Path
    line: int
    module: str
    why: str

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{where}:{self.line}: imports {self.module} ({self.why})"


def plugin_folders(patterns: list[str], root: Path = ROOT) -> list[Path]:
    """Each folder matching ``patterns`` that holds a plugin package (``hub_<name>/``)."""
    return sorted(
        folder
        for pattern in patterns
        for folder in root.glob(pattern)
        if folder.is_dir() and any(folder.glob("hub_*/__init__.py"))
    )


def own_package(folder: Path) -> str:
    return next(package.parent.name for package in sorted(folder.glob("hub_*/__init__.py")))


def bad_imports(folders: list[Path]) -> Iterator[BadImport]:
    """Every import in the plugins' files that breaks the boundary."""
    packages = {own_package(folder) for folder in folders}
    for folder in folders:
        mine = own_package(folder)
        for path in sorted(folder.rglob("*.py")):
            if any(part.startswith(".") or part.endswith(".egg-info") for part in path.parts):
                continue
            in_tests = "tests" in path.relative_to(folder).parts
            allowed = IN_TESTS if in_tests else PUBLIC
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top == "hub" and not module.startswith(allowed):
                    yield BadImport(path, line, module, f"only {' and '.join(allowed)} from hub")
                elif top in packages and top != mine:
                    yield BadImport(path, line, module, "plugins never import each other")


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every absolute import, ``from hub import x`` as ``hub.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "hub":
                for alias in node.names:
                    yield node.lineno, f"hub.{alias.name}"
            else:
                yield node.lineno, node.module


class PluginFilesContract(Contract):
    """Configuration: ``folders``, glob patterns (from the project root) of the
    folders holding one plugin each, e.g. ``["plugins/*", "examples/*"]``."""

    type_name = "plugin_files"

    folders = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        found = plugin_folders(list(self.folders))  # type: ignore[call-overload]
        broken = [str(bad) for bad in bad_imports(found)]
        return ContractCheck(
            kept=not broken, metadata={"broken": broken, "folders": [str(f) for f in found]}
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["broken"]:
            output.print_error(line, bold=False)
        output.new_line()
