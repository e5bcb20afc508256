#!/bin/sh
# First start: create the instance in /data (hub.toml with a new SECRET_KEY, the signing key).
# Every start: bring the database up to date. HUB_* variables override hub.toml.
set -eu
hub init \
    --name "${HUB_INSTANCE_NAME:-Community Hub}" \
    --base-url "${HUB_BASE_URL:-http://127.0.0.1:8000}"
exec "$@"
