"""The documentation stays honest: every hook documented with its real signature
and tested somewhere, every setting and command described, every link working."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from hub import config
from hub.cli import _toml_value, cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_hook_reference", DOCS / "build_hook_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
HOOKS = builder.hooks()


def documented_signatures() -> dict[str, str]:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    found = {}
    for signature in re.findall(r"^#### `(hub_\w+\(.*\).*)`$", text, re.MULTILINE):
        found[signature.split("(", 1)[0]] = signature
    return found


def test_hookspecs_are_found():
    assert len(HOOKS) >= 16
    assert {"hub_models", "hub_metrics", "hub_erase_person"} <= {h.__name__ for h in HOOKS}


@pytest.mark.parametrize("hook", HOOKS, ids=lambda hook: hook.__name__)
def test_every_hook_is_documented_with_its_signature(hook):
    documented = documented_signatures()
    assert hook.__name__ in documented, f"{hook.__name__} is missing from docs/plugins.md"
    assert documented[hook.__name__] == builder.signature(hook), (
        f"docs/plugins.md documents {documented[hook.__name__]!r}; "
        f"hub/hookspecs.py says {builder.signature(hook)!r}"
    )


def test_no_documented_hook_is_gone_from_the_hookspecs():
    assert set(documented_signatures()) == {hook.__name__ for hook in HOOKS}


def test_hook_reference_matches_the_docstrings():
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    assert builder.current_section(text) == builder.render(), (
        "the hook reference is out of date: run python docs/build_hook_reference.py"
    )


def _test_sources() -> str:
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("plugins/*/tests/**/*.py")]
    return "\n".join(
        path.read_text(encoding="utf-8") for path in files if DOCS.name not in path.parts[-2:-1]
    )


@pytest.mark.parametrize("hook", HOOKS, ids=lambda hook: hook.__name__)
def test_every_hook_has_a_test(hook):
    assert re.search(rf"\b{hook.__name__}\b", _test_sources()), (
        f"no test under tests/ or plugins/*/tests/ mentions {hook.__name__}"
    )


def test_plugin_guide_lists_everything_the_plugin_api_offers():
    from hub import plugin_api

    guide = (DOCS / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name in plugin_api.__all__ if f"`{name}`" not in guide]
    assert not missing, f"docs/plugins.md does not describe hub.plugin_api names {missing}"


def test_admin_guide_describes_every_setting():
    guide = (DOCS / "admin.md").read_text(encoding="utf-8")
    missing = [key for key in config.DEFAULTS if f"`{key}`" not in guide]
    assert not missing, f"docs/admin.md does not describe {missing}"


@pytest.mark.parametrize("key", [k for k, v in config.DEFAULTS.items() if v != ""])
def test_admin_guide_states_each_default_as_the_code_has_it(key):
    guide = (DOCS / "admin.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{key}` \| `([^`]+)`", guide, re.MULTILINE)
    assert row, f"docs/admin.md has no table row for {key} starting with its default"
    written = row[1].strip('"')
    assert written == _toml_value(config.DEFAULTS[key]).strip('"')


def test_restore_procedure_names_the_files_a_backup_holds():
    from hub import backup

    guide = (DOCS / "admin.md").read_text(encoding="utf-8")
    names = [backup.SQLITE_FILE, backup.POSTGRES_FILE, backup.MANIFEST, *backup.SECRET_FILES]
    missing = [name for name in names if f"`{name}`" not in guide]
    assert not missing, f"docs/admin.md does not say what {missing} in a backup are"
    assert "hub-backup-YYYYMMDDTHHMMSSZ.tar.gz" in guide


def test_every_core_command_is_documented():
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCS.glob("*.md"))
    missing = [name for name in cli.commands if f"hub {name}" not in text]
    assert not missing, f"no guide in docs/ mentions {['hub ' + name for name in missing]}"


MARKDOWN_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#[^)]*)?\)")


# Guides written on other branches (the protocol, a plugin's guide): links to them wait for them.
PENDING = {DOCS / "federation.md", DOCS / "repaircafe.md"}


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda path: path.name)
def test_relative_links_lead_somewhere(page):
    broken = [
        target
        for target in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8"))
        if not (page.parent / target).exists() and (page.parent / target) not in PENDING
    ]
    assert not broken, f"{page.name} links to missing files: {broken}"


def test_docs_index_lists_every_guide():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    guides = sorted(path.name for path in DOCS.glob("*.md") if path.name != "README.md")
    missing = [name for name in guides if f"({name})" not in index]
    assert not missing, f"docs/README.md does not link {missing}"
