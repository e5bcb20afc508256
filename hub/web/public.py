"""``/public`` (no sign-in): the figures this instance publishes, readable, and the
open-data downloads. On an aggregator, the network's totals come first."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from hub import clock, directory
from hub.db import get_session
from hub.exchange import csv_writer
from hub.federation import aggregates, directories
from hub.federation.models import Origin, Summary
from hub.periods import Period
from hub.web.datapackage import data_package
from hub.web.public_figures import Catalogue, Suppression, sections
from hub.web.public_impact import TOWNS_SHOWN, Area, impact_summary
from hub.web.public_needs import network_needs

bp = Blueprint("public", __name__)


def own_summaries() -> list[Summary]:
    """This instance's own published summaries, by plugin and period."""
    origin = current_app.config["BASE_URL"]
    rows = get_session().scalars(select(Summary).where(Summary.origin == origin)).all()
    return sorted(rows, key=lambda row: (row.plugin, Period.parse(row.period)))


def is_aggregator() -> bool:
    """Whether this instance holds other instances' summaries."""
    return (
        get_session().scalar(
            select(Origin.id).where(Origin.relation.in_(("member", "followed", "vouched"))).limit(1)
        )
        is not None
    )


def own_area() -> Area:
    config = current_app.config
    name = config["LOCALITY"].get("town") or config["INSTANCE_NAME"]
    return Area("instance", name, frozenset({config["BASE_URL"]}))


def own_suppression() -> Suppression:
    return Suppression("own", current_app.config["SUPPRESSION_THRESHOLD"])


@bp.get("/public")
def public() -> str:
    session = get_session()
    catalogue = Catalogue.build(current_app, session)
    today = clock.today()
    own = [
        {"plugin": row.plugin, "period": row.period, "metrics": row.metrics}
        for row in own_summaries()
    ]
    network: list[Any] = []
    needs: list[Any] = []
    aggregator = is_aggregator()
    impact = impact_summary(
        session,
        catalogue,
        today,
        area=None if aggregator else own_area(),
        towns_shown=TOWNS_SHOWN,
    )
    if aggregator:
        network = sections(
            aggregates.all_totals(session),
            catalogue,
            today,
            Suppression("network", aggregates.DEFAULT_THRESHOLD),
        )
        needs = network_needs(session, catalogue, today)
    return render_template(
        "hub/public/index.html",
        own_sections=sections(own, catalogue, today, own_suppression()),
        network_sections=network,
        impact=impact,
        needs=needs,
        threshold=current_app.config["SUPPRESSION_THRESHOLD"],
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
                for row in own_summaries()
            ],
        }
    )
    return download(response, "summaries.json")


@bp.get("/public/summaries.csv")
def summaries_csv() -> Response:
    rows = [
        [row.plugin, row.period, row.revision, name, "" if value is None else value, value is None]
        for row in own_summaries()
        for name, value in sorted(row.metrics.items())
    ]
    header = ["plugin", "period", "revision", "metric", "value", "suppressed"]
    return csv_download(header, rows, "summaries.csv")


@bp.get("/public/network.json")
def network_json() -> Response:
    """The network's totals for every plugin and period held (on an aggregator)."""
    totals = aggregates.all_totals(get_session())
    return download(
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
    return csv_download(header, rows, "network.csv")


def csv_download(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    # Through the one CSV writer: names and origins come from other instances, and no
    # cell of open data may start a spreadsheet formula.
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return download(Response(buffer.getvalue(), mimetype="text/csv"), filename)


def download(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data, for anyone's scripts
    # Scripts that poll the open data ask with If-None-Match and get a bodiless 304
    # until the figures change; no-cache makes every cache ask before reusing a copy.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)  # turns it into the 304 in place
    return response


@bp.get("/public/definitions.csv")
def definitions_csv() -> Response:
    """The data dictionary: every published figure's name, label, unit and meaning."""
    catalogue = Catalogue.build(current_app, get_session())
    rows = []
    for plugin, metrics in sorted(catalogue.definitions.items()):
        for name, metric in metrics.items():
            codes = metric.get("codes") or {None: None}
            for code, code_label in codes.items():
                published = f"{name}.{code}" if code else name
                reading = catalogue.reading(plugin, published)
                rows.append(
                    [
                        plugin,
                        catalogue.service(plugin),
                        published,
                        reading.label,
                        metric.get("unit", ""),
                        reading.unit,
                        reading.scale,
                        metric.get("counts", "events"),
                        metric.get("window", "period"),
                        metric.get("description", ""),
                        code_label or "",
                    ]
                )
    header = [
        "plugin",
        "service",
        "metric",
        "label",
        "unit",
        "shown_unit",
        "shown_divisor",
        "counts",
        "window",
        "description",
        "code_label",
    ]
    return csv_download(header, rows, "definitions.csv")


@bp.get("/public/directory.json")
def directory_json() -> Response:
    """The service directory as Open Referral UK (HSDS) JSON (hub/directory.py): this
    instance's services, then those of the members whose directories it holds."""
    session = get_session()
    listed = directory.services(current_app, session) + directories.members_services(session)
    return download(jsonify(directory.page(listed)), "directory.json")


@bp.get("/public/datapackage.json")
def datapackage() -> Response:
    """A Frictionless data package describing the open-data downloads."""
    return download(jsonify(data_package(is_aggregator())), "datapackage.json")
