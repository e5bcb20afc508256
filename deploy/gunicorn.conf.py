"""gunicorn settings for running the hub with gunicorn directly:

    gunicorn --config deploy/gunicorn.conf.py "hub:create_app()"

``hub serve`` (what deploy/systemd/hub.service and the Docker image run) uses
the same settings, from the same place: :func:`hub.server.gunicorn_options`.
This file only adds what an admin may want to change without editing code,
through the environment:

- ``GUNICORN_BIND`` (default ``127.0.0.1:8000``): an address, or ``unix:/run/hub/hub.sock``;
- ``WEB_CONCURRENCY``: worker processes (default: 2 per core, no more than the
  memory available holds at 150 MB each, at most 8: :func:`hub.server.size_workers`);
- ``FORWARDED_ALLOW_IPS``: proxies trusted for ``X-Forwarded-Proto``
  (default ``127.0.0.1``: nginx on the same machine).

Run ``hub db upgrade`` before starting: unlike ``hub serve``, gunicorn does not
check that the database is up to date.
"""

import os

from hub.server import gunicorn_options, size_workers

_bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
_defaults = gunicorn_options("127.0.0.1", 8000, None)

bind = _bind
workers = int(os.environ.get("WEB_CONCURRENCY") or size_workers().workers)
worker_class = _defaults["worker_class"]
threads = _defaults["threads"]
timeout = _defaults["timeout"]
graceful_timeout = _defaults["graceful_timeout"]
keepalive = _defaults["keepalive"]
max_requests = _defaults["max_requests"]
max_requests_jitter = _defaults["max_requests_jitter"]
accesslog = _defaults["accesslog"]
logger_class = _defaults["logger_class"]  # no query strings (searches for people) in the log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", _defaults["forwarded_allow_ips"])
# Each worker builds its own app: database connections are never shared across a fork.
preload_app = False
