"""Running the app: gunicorn in production, Flask's server for development."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

LOCK_FILE = "serve.lock"


class InstanceBusy(RuntimeError):
    """Another process holds the instance: a server, or a database move."""


@contextmanager
def instance_lock(instance_path: str | Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the instance while serving it (shared: several servers may run) or while
    moving its database (exclusive: no server at all). Raises :class:`InstanceBusy`
    at once rather than wait. The lock goes with the process, so a server that was
    killed leaves nothing stale behind."""
    descriptor = os.open(Path(instance_path) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise InstanceBusy(str(instance_path)) from None
    try:
        yield
    finally:
        os.close(descriptor)


def default_workers() -> int:
    # Two per core suits I/O-bound pages; capped so a small VPS does not run out of memory.
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class HubServer(BaseApplication):
    """gunicorn with the hub's app object, configured in code rather than a file."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def gunicorn_options(host: str, port: int, workers: int | None) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 5,
        "max_requests": 2000,  # recycle workers now and then to keep memory flat
        "max_requests_jitter": 200,
        "accesslog": "-",
        "forwarded_allow_ips": "127.0.0.1",
    }


def run(app: Flask, *, host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve ``app``, holding its instance (gunicorn's workers inherit the lock).
    Raises :class:`InstanceBusy` while its database is being moved."""
    with instance_lock(app.instance_path, exclusive=False):
        if dev:
            app.run(host=host, port=port, debug=True, use_reloader=False)
            return
        # The engine's pool must not be shared across forked workers.
        app.extensions["hub.db"].engine.dispose()
        HubServer(app, gunicorn_options(host, port, workers)).run()
