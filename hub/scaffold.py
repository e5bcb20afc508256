"""``hub plugin new NAME``: a new plugin's skeleton, in the one shape every plugin has.

The skeleton (``hub/skeleton/``) is a working plugin: a table and its migration, a
service with a domain rule, schemas shared by an API and a page, a dashboard panel,
figures computed for every period at once, demo data, and tests that pass as written.
Its files are templates: ``${name}`` in a path or in a file becomes the plugin's name.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from pathlib import Path

import click
from packaging.version import Version

from hub import __version__, plugin_manager

SKELETON = Path(__file__).parent / "skeleton"
SUFFIX = ".tmpl"


def hub_range(version: str = __version__) -> str:
    """The core releases a new plugin may run on: this one up to the next major version."""
    current = Version(version)
    return f">={current.major}.{current.minor},<{current.major + 1}"


def api_range() -> str:
    """The plugin API versions a new plugin is written for (``HUB_API``)."""
    from hub.plugin_api import API_VERSION

    major = int(API_VERSION.split(".")[0])
    return f">={API_VERSION},<{major + 1}"


def files(name: str) -> Iterator[tuple[Path, str]]:
    """Each file of the skeleton for plugin ``name``: its path (relative) and its text."""
    values = {
        "name": name,
        "title": name.capitalize(),
        "hub_range": hub_range(),
        "api_range": api_range(),
        "date": dt.date.today().isoformat(),
    }
    for template in sorted(SKELETON.rglob(f"*{SUFFIX}")):
        relative = template.relative_to(SKELETON).as_posix().removesuffix(SUFFIX)
        path = Path(string.Template(relative).substitute(values))
        text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
        yield path, text


def write(name: str, target: Path) -> list[Path]:
    """Write the skeleton of plugin ``name`` into the new folder ``target``."""
    if not plugin_manager.PLUGIN_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a plugin name: 2 to 31 lowercase letters or digits, "
            "starting with a letter (it prefixes the plugin's tables, URLs and permissions)"
        )
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target} already exists and is not empty")
    written = []
    for path, text in files(name):
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        written.append(destination)
    return written


@click.group("plugin")
def plugin() -> None:
    """Writing plugins."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The folder to write it in (default: ./hub-NAME).",
)
def new(name: str, output: Path | None) -> None:
    """Write a new plugin NAME: a working skeleton of the one plugin shape."""
    target = output or Path(f"hub-{name}")
    try:
        written = write(name, target)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {len(written)} files in {target}:")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(
        f"\nNext: pip install -e {target} (in the hub's environment), hub db upgrade, "
        f"then run its tests with pytest {target / 'tests'}. docs/plugins.md explains each file."
    )
