"""Every plugin computes its figures with a fixed number of grouped queries, however many
weeks and months it is asked for (the batch metrics hook): `hub metrics` over years of
data costs what one week costs, in queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from hub.db import database, get_session
from hub.periods import Period
from hub.testing import install_plugin, load_demo_data

from .conftest import ROOT

TODAY = dt.date(2025, 3, 14)


def weeks_and_months(count: int) -> list[Period]:
    week, month = Period.week_of(TODAY), Period.month_of(TODAY)
    found = []
    for _ in range(count):
        found += [week, month]
        week, month = week.previous(), month.previous()
    return found


def queries_for(app, plugin: str, periods: list[Period]) -> tuple[int, dict]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.app_context():
            results = app.extensions["hub.plugins"].call(
                "hub_compute_metrics_for_periods",
                plugin=plugin,
                session=get_session(),
                periods=periods,
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not results.failures, results.failures
    ((_, figures),) = results.values
    return len(statements), figures


@pytest.mark.parametrize("plugin", ["foodbank", "repaircafe", "toollibrary", "fridge"])
def test_more_periods_cost_no_more_queries(plugin, make_app, tmp_path, monkeypatch, clock):
    install_plugin(ROOT / "examples" / "hub-fridge", tmp_path / "site-packages", monkeypatch)
    clock.set(TODAY)
    app = make_app(plugins=[plugin])
    load_demo_data(app, plugin)
    few, few_figures = queries_for(app, plugin, weeks_and_months(2))
    many, many_figures = queries_for(app, plugin, weeks_and_months(24))
    assert many == few
    assert len(many_figures) == 48 and set(few_figures) <= set(many_figures)
    for period, figures in few_figures.items():
        assert many_figures[period] == figures  # the same answer, whatever else was asked
    assert any(any(figures.values()) for figures in many_figures.values())
