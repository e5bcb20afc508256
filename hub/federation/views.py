"""Pages: the network dashboard (signed in) and ``/public`` open data (no sign-in)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from hub import auth, charts, paging
from hub.db import get_session
from hub.exchange import csv_writer
from hub.federation import aggregates
from hub.federation.models import Origin, Summary
from hub.periods import Period

bp = Blueprint("federation_pages", __name__, template_folder="templates")

CHART_ORIGINS = 6  # more lines than this are unreadable: the largest towns of the page shown


def _choice(name: str, options: list[str], default: str | None) -> str | None:
    value = request.args.get(name)
    return value if value in options else default


@bp.get("/network")
@auth.require_permission("metrics.view")
def network() -> str:
    session = get_session()
    available = aggregates.plugins_and_metrics(session)
    plugin = _choice("plugin", list(available), next(iter(available), None))
    metrics = available.get(plugin or "", [])
    metric = _choice("metric", metrics, metrics[0] if metrics else None)
    kind = _choice("kind", ["month", "week"], "month")
    regions = aggregates.regions(session)
    region = _choice("region", regions, None)
    context: dict[str, Any] = {
        "available": available,
        "plugin": plugin,
        "metric": metric,
        "metrics": metrics,
        "kind": kind,
        "regions": regions,
        "region": region,
        "grid": None,
    }
    if plugin and metric and kind:
        periods = aggregates.recent_periods(session, plugin, kind, 12 if kind == "month" else 26)
        # A page of towns at a time: a national network has thousands.
        towns = paging.requested_page(aggregates.towns(plugin, region))
        grid = aggregates.grid(session, plugin, metric, periods, towns.items, region)
        ranked = sorted(grid.rows, key=lambda row: -sum(v or 0 for v in row[1]))
        context.update(
            grid=grid,
            towns=towns,
            by_town=charts.line_chart(
                f"{metric} by town (the largest on this page), per {kind}",
                periods,
                {info.label: values for info, values in ranked[:CHART_ORIGINS]},
            ),
            totals_chart=charts.bar_chart(
                f"{metric}: network total per {kind}", periods, grid.totals
            ),
        )
    return render_template("federation/network.html", **context)


def _own_summaries() -> list[Summary]:
    origin = current_app.config["BASE_URL"]
    rows = get_session().scalars(select(Summary).where(Summary.origin == origin)).all()
    return sorted(rows, key=lambda row: (row.plugin, Period.parse(row.period)))


def _is_aggregator() -> bool:
    return (
        get_session().scalar(
            select(Origin.id).where(Origin.relation.in_(("member", "followed", "vouched"))).limit(1)
        )
        is not None
    )


def _sections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per plugin: its last 12 months as a table of metrics and a chart of the first."""
    by_plugin: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if Period.parse(row["period"]).kind == "month":
            by_plugin.setdefault(row["plugin"], []).append(row)
    sections = []
    for plugin, months in by_plugin.items():
        months = months[-12:]
        periods = [m["period"] for m in months]
        names = sorted({name for m in months for name in m["metrics"]})
        table = [(name, [m["metrics"].get(name) for m in months]) for name in names]
        chart = (
            charts.bar_chart(f"{plugin}: {names[0]} per month", periods, table[0][1])
            if names
            else None
        )
        towns = max((m.get("origins", 1) for m in months), default=0)
        sections.append(
            {"plugin": plugin, "periods": periods, "table": table, "chart": chart, "towns": towns}
        )
    return sections


@bp.get("/public")
def public() -> str:
    session = get_session()
    own = [
        {"plugin": row.plugin, "period": row.period, "metrics": row.metrics}
        for row in _own_summaries()
    ]
    network_sections = _sections(aggregates.all_totals(session)) if _is_aggregator() else []
    return render_template(
        "federation/public.html",
        own_sections=_sections(own),
        network_sections=network_sections,
    )


@bp.get("/public/summaries.json")
def summaries_json() -> Response:
    """This instance's published summaries, each with its signed canonical form."""
    response = jsonify(
        {
            "origin": current_app.config["BASE_URL"],
            "summaries": [
                {
                    "plugin": row.plugin,
                    "period": row.period,
                    "revision": row.revision,
                    "generated_at": row.generated_at,
                    "metrics": row.metrics,
                    "signed": {"payload": row.payload, "signature": row.signature},
                }
                for row in _own_summaries()
            ],
        }
    )
    return _download(response, "summaries.json")


@bp.get("/public/summaries.csv")
def summaries_csv() -> Response:
    rows = [
        [row.plugin, row.period, row.revision, name, "" if value is None else value, value is None]
        for row in _own_summaries()
        for name, value in sorted(row.metrics.items())
    ]
    header = ["plugin", "period", "revision", "metric", "value", "suppressed"]
    return _csv(header, rows, "summaries.csv")


@bp.get("/public/network.json")
def network_json() -> Response:
    """The network's totals for every plugin and period held (on an aggregator)."""
    totals = aggregates.all_totals(get_session())
    return _download(
        jsonify({"aggregator": current_app.config["BASE_URL"], "totals": totals}), "network.json"
    )


@bp.get("/public/network.csv")
def network_csv() -> Response:
    rows = [
        [
            total["plugin"],
            total["period"],
            name,
            "" if value is None else value,
            total["origins"],
            total["suppressed"].get(name, 0),
        ]
        for total in aggregates.all_totals(get_session())
        for name, value in total["metrics"].items()
    ]
    header = ["plugin", "period", "metric", "total", "origins", "suppressed_cells"]
    return _csv(header, rows, "network.csv")


def _csv(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    # Through the one CSV writer: names and origins come from other instances, and no
    # cell of open data may start a spreadsheet formula.
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return _download(Response(buffer.getvalue(), mimetype="text/csv"), filename)


def _download(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data, for anyone's scripts
    # Scripts that poll the open data ask with If-None-Match and get a bodiless 304
    # until the figures change; no-cache makes every cache ask before reusing a copy.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)  # turns it into the 304 in place
    return response
