"""``/.well-known/hub``: who this instance is, what it publishes, and its public key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from hub.federation import identity
from hub.federation.grammar import PROTOCOL

bp = Blueprint("federation_descriptor", __name__)


def describe(app: Any) -> dict[str, Any]:
    """The instance descriptor, as served and as relayed by aggregators."""
    from hub import __version__

    plugins = app.extensions["hub.plugins"]
    key = identity.load_private_key(Path(app.instance_path)).public_key()
    return {
        "id": app.config["BASE_URL"],
        "name": app.config["INSTANCE_NAME"],
        "locality": dict(app.config["LOCALITY"]),
        "software": {"name": "community-hub", "version": __version__},
        "protocol": PROTOCOL,
        "public_key": identity.encode_public_key(key),
        # Receivers need the threshold to know how much a suppressed cell may hide.
        "disclosure": {"threshold": app.config["SUPPRESSION_THRESHOLD"], "rounding": 5},
        "plugins": [
            {
                "name": name,
                "version": plugins.records[name].version,
                "metrics": [metric.describe() for metric in plugins.metric_definitions(name)],
            }
            for name in plugins.enabled_names()
        ],
    }


@bp.get("/.well-known/hub")
def well_known() -> Response:
    response = jsonify(describe(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
