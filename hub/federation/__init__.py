"""Federation: this instance's identity, signed summaries, and the protocol routes.

The protocol (``hub-federation/1``) is specified in ``docs/federation.md``.
"""

from __future__ import annotations

from flask import Flask

from hub.federation import api, descriptor, models, protocol, views

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    app.register_blueprint(descriptor.bp)
    app.register_blueprint(protocol.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
