"""``/public/datapackage.json``: the open-data downloads described as a Frictionless
data package (https://specs.frictionlessdata.io/), with a Table Schema for each CSV
and the data dictionary (``definitions.csv``) of every published figure."""

from __future__ import annotations

from typing import Any

from flask import current_app

PERIOD = r"^[0-9]{4}-(W[0-9]{2}|[0-9]{2})$"


def _field(name: str, kind: str, description: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "description": description, **more}


PLUGIN = _field("plugin", "string", "The service that publishes the figure (its plugin's name)")
PERIOD_FIELD = _field(
    "period",
    "string",
    "The ISO week (2025-W07) or calendar month (2025-02) the figure counts",
    constraints={"required": True, "pattern": PERIOD},
)
METRIC = _field(
    "metric",
    "string",
    "The figure's name, or name.code for one code of a codelist; definitions.csv says what each means",
    constraints={"required": True},
)


def _csv(name: str, path: str, title: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "missingValues": [""]},
    }


def _json(name: str, path: str, title: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        "format": "json",
        "mediatype": "application/json",
        "encoding": "utf-8",
    }


def data_package(aggregator: bool) -> dict[str, Any]:
    config = current_app.config
    resources = [
        _csv(
            "summaries",
            "summaries.csv",
            "This instance's published figures, one row per figure and period",
            [
                PLUGIN,
                PERIOD_FIELD,
                _field(
                    "revision",
                    "integer",
                    "The summary's revision: the highest is current",
                    constraints={"minimum": 1},
                ),
                METRIC,
                _field(
                    "value",
                    "integer",
                    "The figure, as definitions.csv's unit says (weights in grams); empty when suppressed",
                ),
                _field(
                    "suppressed",
                    "boolean",
                    f"True for a count of people below the disclosure threshold ({config['SUPPRESSION_THRESHOLD']}), published without its value",
                ),
            ],
        ),
        _json(
            "summaries-signed",
            "summaries.json",
            "This instance's summaries, each with its signed canonical form",
            "The same figures as summaries.csv, each with the Ed25519-signed JSON document "
            "(hub-federation/1) it was published as; the key is in /.well-known/hub.",
        ),
        _csv(
            "definitions",
            "definitions.csv",
            "Data dictionary: what every published figure counts",
            [
                PLUGIN,
                _field("service", "string", "The service as people call it"),
                METRIC,
                _field("label", "string", "The figure as public pages head it"),
                _field(
                    "unit", "string", "What one of the published integers is (grams for weights)"
                ),
                _field("shown_unit", "string", "The unit public pages show it in (kg for grams)"),
                _field(
                    "shown_divisor", "integer", "Published value / this = the figure in shown_unit"
                ),
                _field(
                    "counts",
                    "string",
                    "events (each one counted), people or households (different ones, rounded to 5), or quantity",
                    constraints={"enum": ["events", "people", "households", "quantity"]},
                ),
                _field(
                    "window",
                    "string",
                    "period: once in the period; otherwise what is added up (each event's count)",
                ),
                _field("description", "string", "Exactly what is counted"),
                _field("code_label", "string", "For name.code: the code's label"),
            ],
        ),
    ]
    if aggregator:
        resources += [
            _csv(
                "network",
                "network.csv",
                "The network's totals, one row per plugin, period and figure",
                [
                    PLUGIN,
                    PERIOD_FIELD,
                    METRIC,
                    _field(
                        "total",
                        "integer",
                        "The sum over every group; empty when suppressed cells could change it by more than a tenth",
                    ),
                    _field(
                        "origins",
                        "integer",
                        "How many groups' summaries it adds up",
                        constraints={"minimum": 0},
                    ),
                    _field(
                        "suppressed_cells",
                        "integer",
                        "How many of them were suppressed",
                        constraints={"minimum": 0},
                    ),
                ],
            ),
            _json(
                "network-totals",
                "network.json",
                "The network's totals",
                "The same totals as network.csv, per plugin and period, with the number of groups.",
            ),
        ]
    return {
        "profile": "data-package",
        "name": "community-hub-figures",
        "title": f"{config['INSTANCE_NAME']}: published figures",
        "description": (
            "Aggregated, non-personal figures published by a Community Hub instance. Counts of "
            "people below the disclosure threshold are suppressed; other counts of people are "
            "rounded to the nearest 5."
        ),
        "homepage": config["BASE_URL"] + "/public",
        "id": config["BASE_URL"] + "/public/datapackage.json",
        # No licence is claimed for the group: publishing them is the group's own choice.
        "resources": resources,
    }
