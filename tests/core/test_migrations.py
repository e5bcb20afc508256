"""Migrations: one branch and version table per component, idempotent upgrades,
pending work reported, and a migrated schema identical to the models."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hub import migrate
from hub.cli import cli, main
from hub.db import database
from hub.testing import make_instance, postgres_url


def versions(app):
    with database(app).engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT version_num FROM {table}")).scalars().all()
            for table in ("alembic_version", "alembic_version_testvisits")
        }


def test_upgrade_is_idempotent_with_a_version_table_per_component(visits_app, visits_runner):
    first = versions(visits_app)
    [core_head] = first["alembic_version"]
    assert core_head.startswith("core_")
    assert first["alembic_version_testvisits"] == ["testvisits_0002"]
    for _ in range(2):
        result = visits_runner.invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            "upgrading core",
            "upgrading testvisits",
            "Database is up to date.",
        ]
    assert versions(visits_app) == first
    status = visits_runner.invoke("db", "status")
    assert (status.exit_code, status.output) == (0, "Database is up to date.\n")


def test_status_reports_pending_components_and_serve_refuses(
    testvisits_installed, tmp_path, hub_databases
):
    instance = make_instance(tmp_path / "fresh", hub_databases.new("fresh"), plugins=["testvisits"])
    runner = CliRunner()
    env = {"HUB_INSTANCE_PATH": str(instance)}
    status = runner.invoke(cli, ["db", "status"], env=env)
    assert status.exit_code == 1
    assert status.output == "Error: needs upgrade: core, testvisits (run: hub db upgrade)\n"
    serve = runner.invoke(cli, ["serve"], env=env)
    assert serve.exit_code == 1
    assert "the database needs upgrading first: hub db upgrade (core, testvisits)" in serve.output
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["db", "status"], env=env).exit_code == 0


def schema_differences(app):
    with database(app).engine.connect() as connection:
        return migrate.schema_differences(app, connection)


def test_migrated_core_schema_matches_the_models(visits_app):
    assert schema_differences(visits_app) == {"core": [], "testvisits": []}
    core = next(c for c in migrate.components(visits_app) if c.name == "core")
    assert "testvisits_visit" not in core.tables
    assert {"person", "user", "audit_entry", "location"} <= core.tables


def test_every_installed_plugin_schema_matches_its_models(full_app):
    out_of_step = {name: diff for name, diff in schema_differences(full_app).items() if diff}
    # Spelled out in full, so a plugin author sees which column to migrate.
    assert not out_of_step, "\n".join(f"{name}: {diff!r}" for name, diff in out_of_step.items())


ORPHANS = """
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from hub import plugin_api as api


class Row(api.Model):
    __tablename__ = "orphans_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))


@api.hookimpl
def hub_models():
    return api.PluginModels((Row,), VERSIONS)
"""
ORPHANS_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "orphans_0001"
down_revision = None
branch_labels = ("orphans",)
depends_on = None


def upgrade():
    op.create_table(
        "orphans_row",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
    )
    op.execute("INSERT INTO orphans_row (id, person_id) VALUES (1, 999)")
"""


def test_a_migration_leaving_a_row_pointing_nowhere_is_not_committed(
    install_plugin, tmp_path, hub_databases, monkeypatch, capsys
):
    """SQLite does not enforce foreign keys while migrating (rebuilding a table would
    cascade to the rows referring to it), so it checks them before committing."""
    versions = tmp_path / "orphans-versions"
    versions.mkdir()
    (versions / "orphans_0001.py").write_text(ORPHANS_MIGRATION)
    install_plugin("orphans", f"VERSIONS = {str(versions)!r}\n{ORPHANS}")
    instance = make_instance(
        tmp_path / "orphans", hub_databases.new("orphans"), plugins=["orphans"]
    )
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(instance))
    monkeypatch.setattr(sys, "argv", ["hub", "db", "upgrade"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("hub: database: ")
    if postgres_url() is None:
        assert "left orphans_row row 1 referring to a row of person that does not exist" in error
    else:
        assert "violates foreign key constraint" in error
    status = CliRunner().invoke(cli, ["db", "status"], env={"HUB_INSTANCE_PATH": str(instance)})
    assert "needs upgrade: orphans" in status.output
