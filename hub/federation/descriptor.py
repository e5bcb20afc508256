"""``/.well-known/hub``: who this instance is, what it publishes, and its public key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from hub.federation import identity
from hub.federation.grammar import PROTOCOL
from hub.metrics import definitions, service_labels

bp = Blueprint("federation_descriptor", __name__)


def describe(app: Any) -> dict[str, Any]:
    """The instance descriptor, as served and as relayed by aggregators."""
    from hub import __version__

    plugins = app.extensions["hub.plugins"]
    declared = definitions(plugins)
    failed = declared.failed()
    labels = service_labels(plugins)
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
        # A plugin whose definitions fail is left out (and reported on the plugins page).
        "plugins": [
            {
                "name": name,
                "label": labels[name],
                "version": plugins.records[name].version,
                "metrics": [metric.describe() for metric in declared.by_plugin().get(name, ())],
            }
            for name in plugins.enabled_names()
            if name not in failed
        ],
    }


@bp.get("/.well-known/hub")
def well_known() -> Response:
    response = jsonify(describe(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
