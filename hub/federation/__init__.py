"""Federation: this instance's identity, signed summaries, and the protocol routes.

The protocol (``hub-federation/1``) is specified in ``docs/federation.md``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top, so that processes checking signatures for a
    # sync (hub.federation.checking) start without the web and database layers.
    from hub.federation import (
        api,
        descriptor,
        models,  # noqa: F401  (its tables join Model.metadata)
        protocol,
        views,
    )

    app.register_blueprint(descriptor.bp)
    app.register_blueprint(protocol.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
