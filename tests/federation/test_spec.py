"""The spec and the tests stay in step: every rule of docs/federation.md is named by
a test that checks it, and no test names a rule that is not there."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent
SPEC = HERE.parents[1] / "docs" / "federation.md"
RULE = re.compile(r"\[(R\d+\.\d+)\]")


def test_every_rule_is_checked_by_a_test_that_names_it():
    spec = SPEC.read_text(encoding="utf-8")
    defined = set(re.findall(r"\*\*\[(R\d+\.\d+)\]\*\*", spec))
    assert len(defined) >= 30
    assert set(RULE.findall(spec)) == defined, "the spec refers to a rule it does not state"
    tests = "\n".join(
        path.read_text(encoding="utf-8")
        for path in HERE.glob("test_*.py")
        if path.name != Path(__file__).name
    )
    cited = set(RULE.findall(tests))
    assert defined - cited == set(), "rules no test names"
    assert cited - defined == set(), "tests name rules the spec does not have"
