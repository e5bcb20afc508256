"""Running the app: gunicorn in production, Flask's server for development."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler


def without_query(url: str) -> str:
    """``url`` without its query string: searches (``/people/?q=a name``) are personal data."""
    return url.split("?", 1)[0]


class PrivateAccessLog(Logger):
    """gunicorn's logger, with no query string in the access log, neither the
    request's nor the one in its Referer (the search page a link was followed from)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = f"{atoms['m']} {without_query(environ.get('RAW_URI', ''))} {atoms['H']}"
        atoms["q"] = ""
        atoms["f"] = without_query(atoms["f"])
        for key in [key for key in atoms if key.endswith("}i")]:
            atoms[key] = without_query(str(atoms[key]))
        return atoms


class PrivateRequestHandler(WSGIRequestHandler):
    """Flask's development server, logging requests without their query strings."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        method, _, rest = self.requestline.partition(" ")
        target, _, protocol = rest.partition(" ")
        self.requestline = f"{method} {without_query(target)} {protocol}"
        super().log_request(code, size)


MAX_WORKERS = 8
THREADS = 4
WORKER_MB = 150  # the most a worker holds (benchmarks/network_scale.py measures it)
RESERVED_MB = 250  # left for gunicorn's master, the database and the system


@dataclass(frozen=True)
class Sizing:
    """How many gunicorn workers to run, and why."""

    workers: int
    cores: int
    memory_mb: int | None  # memory available to this instance, if it could be read
    chosen: bool = False  # given by the admin (--workers, WEB_CONCURRENCY)

    def explain(self) -> str:
        if self.chosen:
            return f"gunicorn: {self.workers} workers, as asked"
        memory = (
            f"{self.memory_mb:,} MB available (up to {_by_memory(self.memory_mb)} "
            f"at {WORKER_MB} MB each, {RESERVED_MB} MB kept back)"
            if self.memory_mb is not None
            else "memory unknown"
        )
        return (
            f"gunicorn: {self.workers} workers of {THREADS} threads, from "
            f"{self.cores} cores (up to {2 * self.cores}) and {memory}; at most {MAX_WORKERS}. "
            "--workers N to choose"
        )


def _by_memory(memory_mb: int) -> int:
    return max(1, (memory_mb - RESERVED_MB) // WORKER_MB)


def size_workers(
    workers: int | None = None, *, cores: int | None = None, memory_mb: int | None = None
) -> Sizing:
    """Two workers per core (pages wait on the database more than they compute), no
    more than the memory available holds, at most eight; ``workers`` if given."""
    cores = cores or len(os.sched_getaffinity(0)) or 1
    if workers is not None:
        return Sizing(workers, cores, memory_mb, chosen=True)
    memory_mb = memory_mb if memory_mb is not None else available_memory_mb()
    by_memory = _by_memory(memory_mb) if memory_mb is not None else MAX_WORKERS
    return Sizing(max(1, min(MAX_WORKERS, 2 * cores, by_memory)), cores, memory_mb)


def available_memory_mb() -> int | None:
    """What the kernel says could be used without swapping (MemAvailable), or what this
    process's container may still use, whichever is less; None where neither is known."""
    found = []
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) // 1024)
    with contextlib.suppress(OSError, ValueError):
        cgroup = Path("/sys/fs/cgroup")
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            used = int((cgroup / "memory.current").read_text())
            found.append((int(limit) - used) // 2**20)
    return min(found) if found else None


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
        "workers": workers or size_workers().workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 5,
        "max_requests": 2000,  # recycle workers now and then to keep memory flat
        "max_requests_jitter": 200,
        "accesslog": "-",
        "logger_class": PrivateAccessLog,
        "forwarded_allow_ips": "127.0.0.1",
    }


SERVER_LOCK = "server.lock"


class ServerRunning(RuntimeError):
    """The instance's server holds its lock; ``pid`` is its process, if known."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(f"the server is running (process {pid or 'unknown'})")
        self.pid = pid


@contextmanager
def instance_lock(instance_path: str | Path) -> Iterator[None]:
    """Hold the instance's server lock: ``hub serve`` for its whole life, ``hub
    restore`` while it replaces the database. Raises :class:`ServerRunning`."""
    path = Path(instance_path) / SERVER_LOCK
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            raise ServerRunning(int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(app: Flask, *, host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve ``app`` until stopped, holding the instance's server lock meanwhile."""
    with instance_lock(app.instance_path):
        _run(app, host=host, port=port, workers=workers, dev=dev)


def _run(app: Flask, *, host: str, port: int, workers: int | None, dev: bool) -> None:
    if dev:
        app.run(
            host=host,
            port=port,
            debug=True,
            use_reloader=False,
            request_handler=PrivateRequestHandler,
        )
        return
    # The engine's pool must not be shared across forked workers.
    app.extensions["hub.db"].engine.dispose()
    HubServer(app, gunicorn_options(host, port, workers)).run()
