"""Every CSV the hub writes goes through the one writer that neutralises formulas
(hub.exchange.csv_writer, ``api.csv_writer`` for plugins): no exporter of the core or
of any plugin writes CSV by itself, and every export's cells are safe to open in a
spreadsheet."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest

from hub.exchange import Exporter
from hub.testing import HubRunner, load_demo_data

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *ROOT.glob("hub/**/*.py"),
    *ROOT.glob("plugins/*/hub_*/**/*.py"),
    *ROOT.glob("examples/hub-fridge/**/*.py"),
]
WRITERS = {"writer", "DictWriter"}
NUMBER = re.compile(r"^[+-]?[0-9]+([.,][0-9]+)?$")


def csv_writers_made(path: Path) -> list[int]:
    """Lines of ``path`` that make a csv module writer."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITERS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "csv"
    ]


def test_only_the_one_writer_makes_csv():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in SOURCES
        if "tests" not in path.parts and (lines := csv_writers_made(path))
    }
    assert found == {"hub/exchange.py": found.get("hub/exchange.py", [])}
    assert found["hub/exchange.py"], "the one writer is in hub/exchange.py"


def test_every_export_of_every_plugin_writes_safe_cells(make_app):
    app = make_app(name="exports")  # every installed plugin
    plugins = app.extensions["hub.plugins"]
    for name in plugins.enabled_names():
        load_demo_data(app, name)
    exporters = plugins.collect("hub_exporters", Exporter).items()
    formats = [exporter.format for _plugin, exporter in exporters if exporter.extension == "csv"]
    assert formats, "no CSV exporter found"
    runner = HubRunner(app)
    for format_name in formats:
        result = runner.invoke("export", format_name)
        assert result.exit_code == 0, (format_name, result.output)
        rows = list(csv.reader(io.StringIO(result.output)))
        assert len(rows) > 1, format_name  # the demo has records of every kind
        unsafe = [
            cell
            for row in rows
            for cell in row
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.match(cell)
        ]
        assert unsafe == [], format_name


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_the_writer_neutralises_each_kind_of_formula(cell):
    from hub.exchange import csv_writer

    stream = io.StringIO()
    csv_writer(stream).writerow([cell, -5, 2.5])
    (written,) = list(csv.reader(io.StringIO(stream.getvalue())))
    assert not written[0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert written[1:] == ["-5", "2.5"]  # numbers stay numbers
