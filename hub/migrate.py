"""Database migrations: the core's Alembic branch, then one per enabled plugin.

Each component keeps its own version table (``alembic_version`` for the core,
``alembic_version_<plugin>`` for a plugin), so enabling, upgrading or disabling
a plugin never disturbs the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Connection, Engine

from hub.db import Model, database

SCRIPT_LOCATION = Path(__file__).parent / "migrations"
CORE = "core"


@dataclass(frozen=True)
class Component:
    name: str
    versions: Path
    tables: frozenset[str]

    @property
    def version_table(self) -> str:
        return "alembic_version" if self.name == CORE else f"alembic_version_{self.name}"


def components(app: Flask) -> list[Component]:
    """The core, then each enabled plugin with migrations, in name order."""
    plugin_parts = app.extensions["hub.plugin_models"]
    found = [Component(CORE, SCRIPT_LOCATION / "versions", core_tables())]
    for name in sorted(plugin_parts):
        part = plugin_parts[name]
        found.append(Component(name, Path(part.migrations), frozenset(part.tables)))
    return found


def core_tables() -> frozenset[str]:
    """The tables of the core's own models. Chosen by defining module, not as
    "all minus enabled plugins'", since a disabled plugin whose module was
    imported (``hub plugins`` reads its metrics) has its tables in the metadata too."""
    return frozenset(
        mapper.class_.__table__.name
        for mapper in Model.registry.mappers
        if mapper.class_.__module__.split(".")[0] == "hub"
    )


def only_tables(tables: frozenset[str]) -> Callable[..., bool]:
    """An autogenerate filter: ``tables`` and their indexes and constraints, nothing else."""

    def include(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        if type_ == "table":
            return name in tables
        table = getattr(obj, "table", None)
        return table is None or table.name in tables

    return include


def _alembic_config(component: Component, connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("version_locations", str(component.versions))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["component"] = component.name
    config.attributes["version_table"] = component.version_table
    config.attributes["owned_tables"] = component.tables
    return config


def upgrade(
    app: Flask,
    progress: Callable[[str], None] = lambda _msg: None,
    *,
    connection: Connection | None = None,
) -> None:
    """Bring the core and every enabled plugin to their latest revision, each in
    its own transaction; or all within the transaction of ``connection``, on the
    database it reaches (``hub db move`` makes its target so)."""
    engine = database(app).engine
    for component in components(app):
        progress(f"upgrading {component.name}")
        with _migrating(engine) if connection is None else nullcontext(connection) as each:
            command.upgrade(_alembic_config(component, each), "head")


class MigrationError(RuntimeError):
    """A migration left the database inconsistent; it was not committed."""


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A transaction to migrate in. On SQLite, foreign keys are not enforced meanwhile:
    a migration that rebuilds a table (how SQLite alters one) drops the old table,
    and the drop would cascade to every row referring to it (rebuilding ``user``
    deleted every API token). What a migration breaks is found before committing."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # only outside a transaction does SQLite take this pragma
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                before = _broken_references(connection) if sqlite else set()
                yield connection
                broken = sorted(_broken_references(connection) - before) if sqlite else []
                if broken:
                    table, row, parent = broken[0]
                    raise MigrationError(
                        f"the migration left {table} row {row} referring to a row of {parent} "
                        f"that does not exist ({len(broken)} such rows); nothing was committed"
                    )
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _broken_references(connection: Connection) -> set[tuple[str, int, str]]:
    return {
        (table, row, parent)
        for table, row, parent, _key in connection.exec_driver_sql("PRAGMA foreign_key_check")
    }


def _pragma(connection: Connection, setting: str) -> None:
    connection.exec_driver_sql(f"PRAGMA {setting}")
    connection.commit()  # ends what SQLAlchemy began; SQLite itself began nothing


def pending(app: Flask) -> list[str]:
    """Names of components whose database is not at their latest revision."""
    engine = database(app).engine
    behind = []
    with engine.connect() as connection:
        for component in components(app):
            config = _alembic_config(component, connection)
            heads = set(ScriptDirectory.from_config(config).get_heads())
            context = MigrationContext.configure(
                connection, opts={"version_table": component.version_table}
            )
            if set(context.get_current_heads()) != heads:
                behind.append(component.name)
    return behind


def schema_differences(app: Flask, connection: Connection) -> dict[str, list[Any]]:
    """What autogenerate finds between each component's models and the database
    (nothing, when the migrations made it): the changes ``hub db revision`` would write."""
    differences = {}
    for component in components(app):
        context = MigrationContext.configure(
            connection,
            opts={
                "target_metadata": Model.metadata,
                "include_object": only_tables(component.tables),
                "compare_type": True,
                "version_table": component.version_table,
            },
        )
        differences[component.name] = compare_metadata(context, Model.metadata)
    return differences


def revision(app: Flask, component_name: str, message: str) -> None:
    """Autogenerate a revision for one component from its models (for developers)."""
    engine = database(app).engine
    component = next((c for c in components(app) if c.name == component_name), None)
    if component is None:
        raise ValueError(f"no component {component_name!r}: use core or an enabled plugin's name")
    component.versions.mkdir(parents=True, exist_ok=True)
    head = ScriptDirectory.from_config(_alembic_config(component, None)).get_current_head()
    with engine.begin() as connection:
        command.revision(
            _alembic_config(component, connection),
            message=message,
            autogenerate=True,
            head="base" if head is None else "head",
            branch_label=None if head is not None or component.name == CORE else component.name,
            version_path=str(component.versions),
        )


@dataclass(frozen=True)
class PluginModels:
    """What a plugin returns from ``hub_models``: its model classes and migrations folder."""

    models: tuple[type[Model], ...]
    migrations: Path | str

    @property
    def tables(self) -> list[str]:
        return [model.__table__.name for model in self.models]
