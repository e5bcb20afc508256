"""Figures for every period in one call per plugin, with the SQL helpers that
group by week and month on both databases, and the per-period hook of the
first plugin API still working, with a warning."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from hub.plugin_api import Period
from hub.testing import HubRunner, create_account

# Days either side of the edges: ISO years with 52 and 53 weeks, a Sunday and
# the Monday after it, a leap day, month ends.
AWKWARD_DAYS = [
    "2020-12-31",  # Thursday of 2020-W53
    "2021-01-03",  # Sunday, still 2020-W53, but January 2021
    "2021-01-04",  # Monday of 2021-W01
    "2024-02-29",
    "2024-03-01",
    "2024-12-29",  # Sunday of 2024-W52
    "2024-12-30",  # Monday of 2025-W01, still December 2024
    "2025-01-05",
    "2025-01-06",
    "2025-01-06",
]


def test_weeks_and_months_are_grouped_in_sql_as_python_counts_them(
    visits_client, visits_accounts, visits_runner
):
    coordinator = visits_accounts["coordinator"].headers
    for day in AWKWARD_DAYS:
        response = visits_client.post(
            "/api/v1/testvisits/visits", json={"person_id": None, "day": day}, headers=coordinator
        )
        assert response.status_code == 201, response.json
    expected: Counter[str] = Counter()
    for day in map(dt.date.fromisoformat, AWKWARD_DAYS):
        expected[str(Period.week_of(day))] += 1
        expected[str(Period.month_of(day))] += 1
    result = visits_runner.invoke("metrics", "--json")
    assert result.exit_code == 0, result.output
    counted = {entry["period"]: entry["metrics"]["visits"] for entry in json.loads(result.output)}
    assert counted == dict(expected)
    assert counted["2020-W53"] == 2 and counted["2025-W01"] == 2 and counted["2024-12"] == 2


COUNTING = """
import datetime
from hub import plugin_api as api

CALLS = []


@api.hookimpl
def hub_metrics():
    return [api.Metric("meals", "meals", "Meals served")]


@api.hookimpl
def hub_metric_periods(session):
    return [datetime.date(2025, 3, 3), datetime.date(2025, 4, 30)]


@api.hookimpl
def hub_compute_metrics_for_periods(session, periods):
    CALLS.append(sorted(map(str, periods)))
    return {period: {"meals": period.start.month} for period in periods}
"""


def test_every_period_is_computed_in_one_call_per_plugin(make_app, install_plugin):
    install_plugin("meals", COUNTING)
    app = make_app(plugins=["meals"])
    calls = app.extensions["hub.plugins"].pm.get_plugin("meals").__wrapped__.CALLS
    with app.app_context():
        from hub.db import get_session
        from hub.metrics import compute

        found = compute(get_session(), app.extensions["hub.plugins"], 5)
    assert calls == [["2025-03", "2025-04", "2025-W10", "2025-W18"]]
    assert [(str(f.period), f.metrics["meals"]) for f in found.figures] == [
        ("2025-03", 3),
        ("2025-W10", 3),
        ("2025-04", 4),
        ("2025-W18", 4),
    ]
    assert found.failures == []


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        ("[]", "returned list, not a mapping of periods"),
        ("{}", "computed no figures for 2025-03, 2025-W10"),
        ('{p: {"meals": 1.5} for p in periods}', "2025-03: metric 'meals' is not an integer"),
        ('{p: {"meals": 2**60} for p in periods}', "2025-03: metric 'meals' is out of range"),
        ('{p: {"meals": True} for p in periods}', "2025-03: metric 'meals' is not an integer"),
        ("{p: {} for p in periods}", "2025-03: did not compute metric 'meals'"),
        ("{p: None for p in periods}", "2025-03: figures must be a mapping"),
    ],
)
def test_figures_that_break_the_contract_fail_that_plugin_only(
    make_app, install_plugin, returned, problem
):
    source = COUNTING.replace(
        """return {period: {"meals": period.start.month} for period in periods}""",
        f"return {returned}",
    ).replace("datetime.date(2025, 4, 30)", "datetime.date(2025, 3, 4)")
    install_plugin("meals", source)
    install_plugin("good", COUNTING.replace('"meals"', '"things"'))
    app = make_app(plugins=["meals", "good"])
    result = HubRunner(app).invoke("metrics", "--json")
    assert result.exit_code == 1
    *figures, failed = json.loads(result.stdout)
    assert {entry["plugin"] for entry in figures} == {"good"}
    assert failed["error"].startswith(
        f"plugin 'meals': hub_compute_metrics_for_periods failed: {problem}"
    )


PER_PERIOD = """
import datetime
from hub import plugin_api as api

CALLS = []


@api.hookimpl
def hub_settings():
    return {"meals_per_visit": 2, "label": "Meals"}


@api.hookimpl
def hub_metrics():
    return [api.Metric("meals", "meals", "Meals served")]


@api.hookimpl
def hub_metric_periods(session):
    return [datetime.date(2025, 3, 3)]


@api.hookimpl
def hub_compute_metrics(session, period):
    CALLS.append(str(period))
    return {"meals": api.plugin_settings("oldstyle")["meals_per_visit"]}
"""


def test_a_plugin_written_to_the_first_api_still_works_with_warnings(make_app, install_plugin):
    install_plugin("oldstyle", PER_PERIOD)
    with pytest.warns(DeprecationWarning) as warned:
        app = make_app(plugins=["oldstyle"], oldstyle={"meals_per_visit": 3})
    messages = {str(warning.message).split(":")[0]: warning for warning in warned}
    compute_warning = messages[
        "hub_compute_metrics is deprecated and will be removed in plugin API 2.0"
    ]
    # The warning points at the plugin's own function, not at the core.
    assert compute_warning.filename.endswith(".py") and "hub_oldstyle" in compute_warning.filename
    assert "plugin 'oldstyle'" in messages
    assert "hub_settings returned a dict of defaults, which is deprecated" in str(
        messages["plugin 'oldstyle'"].message
    )

    runner = HubRunner(app)
    with pytest.warns(DeprecationWarning):
        result = runner.invoke("metrics", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"plugin": "oldstyle", "period": "2025-03", "metrics": {"meals": 3}},
        {"plugin": "oldstyle", "period": "2025-W10", "metrics": {"meals": 3}},
    ]
    calls = app.extensions["hub.plugins"].pm.get_plugin("oldstyle").__wrapped__.CALLS
    assert calls == ["2025-03", "2025-W10"]  # once per period

    # The dict's values type its settings: a wrong one is refused at start-up.
    with pytest.warns(DeprecationWarning), pytest.raises(Exception) as refused:
        make_app(name="typed", plugins=["oldstyle"], oldstyle={"meals_per_visit": "many"})
    assert str(refused.value) == (
        "hub.toml: [oldstyle] meals_per_visit must be a whole number, not text"
    )


def test_a_per_period_hook_that_raises_fails_only_its_plugin(make_app, install_plugin):
    install_plugin(
        "oldstyle",
        PER_PERIOD.replace('return {"meals"', 'raise LookupError("no table")\n    return {"meals"'),
    )
    install_plugin("good", COUNTING.replace('"meals"', '"things"'))
    with pytest.warns(DeprecationWarning):
        app = make_app(plugins=["oldstyle", "good"])
    viewer = create_account(app, "viewer")
    response = app.test_client().get("/api/v1/metrics", headers=viewer.headers)
    assert response.status_code == 200
    assert [entry["plugin"] for entry in response.json] == ["good"] * 4 + ["oldstyle"]
    with pytest.warns(DeprecationWarning):
        published = HubRunner(app).invoke("federation", "publish", "--offline")
    assert published.exit_code == 1
    assert published.stdout == "Published: 4 new, 0 revised, 0 unchanged.\n"
    assert published.stderr == (
        "error: plugin 'oldstyle': hub_compute_metrics failed: LookupError: no table\n"
    )
