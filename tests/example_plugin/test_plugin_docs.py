"""The plugin guide shows the worked example as it is: every code block marked
``<!-- from PATH -->`` is the file's text (runs of it, where the block skips lines with
``...``), so the guide cannot drift from the source the suite tests."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT

GUIDE = ROOT / "docs" / "plugins.md"
EXCERPT = re.compile(r"<!-- from (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)\n```", re.S)


def excerpts() -> list[tuple[str, str]]:
    return [(m["path"], m["code"]) for m in EXCERPT.finditer(GUIDE.read_text(encoding="utf-8"))]


def test_the_guide_quotes_the_example():
    quoted = {path for path, _ in excerpts()}
    assert len(excerpts()) >= 15
    assert {
        "examples/hub-fridge/hub_fridge/metrics.py",
        "examples/hub-fridge/hub_fridge/views.py",
    } <= quoted


@pytest.mark.parametrize(("path", "code"), excerpts(), ids=lambda value: value[-40:])
def test_each_excerpt_is_in_its_file(path, code):
    source = (ROOT / path).read_text(encoding="utf-8")
    for run in re.split(r"\n\s*\.\.\.\s*\n", code):
        assert run.strip("\n") in source, f"docs/plugins.md quotes {path} wrongly:\n{run}"
