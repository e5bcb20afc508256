"""Places to read figures from: towns running the real plugins with their demo data,
each publishing its signed summaries, and an aggregator served on a loopback port that
the towns join and push to, all through the real CLI and HTTP endpoints."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from hub.testing import HubRunner, load_demo_data

TODAY = dt.date(2025, 12, 10)  # a December under way: its figures are partial
PLUGINS = ["foodbank", "repaircafe"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Place:
    app: Flask
    url: str
    server: BaseWSGIServer | None = None

    def cli(self, *args: str) -> Result:
        result = HubRunner(self.app).invoke(*args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def serve(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def join(self, aggregator: Place) -> None:
        token = aggregator.cli("federation", "invite", "--note", self.url).stdout.strip()
        self.cli("federation", "join", aggregator.url, token)

    def summaries(self) -> list[dict[str, Any]]:
        """Its own published summaries, as its open data gives them."""
        return self.app.test_client().get("/public/summaries.json").json["summaries"]

    def publish_and_push(self) -> None:
        self.cli("federation", "publish")
        assert ", 0 refused" in self.cli("federation", "push").stdout


@pytest.fixture
def places(make_app: Callable[..., Flask], clock: Any) -> Iterator[Callable[..., Place]]:
    """``places(name, town=..., region=..., plugins=[...], demo=True, serve=False)``."""
    clock.set(TODAY)
    made: list[Place] = []

    def place(
        name: str,
        *,
        town: str = "",
        region: str = "",
        plugins: list[str] | None = None,
        demo: bool = True,
        serve: bool = False,
        **settings: Any,
    ) -> Place:
        url = f"http://127.0.0.1:{free_port()}" if serve else f"https://{name}.example"
        app = make_app(
            name=name,
            plugins=PLUGINS if plugins is None else plugins,
            INSTANCE_NAME=name.title(),
            BASE_URL=url,
            LOCALITY={"town": town, "region": region, "country": "GB"},
            **settings,
        )
        if demo:
            for plugin in PLUGINS if plugins is None else plugins:
                load_demo_data(app, plugin, TODAY)
        made.append(Place(app, url))
        if serve:
            made[-1].serve()
        return made[-1]

    yield place
    for each in made:
        if each.server is not None:
            each.server.shutdown()


@dataclass
class ThreeTowns:
    network: Place
    towns: dict[str, Place]


TOWNS = {  # name: (region, plugins)
    "aberdare": ("Wales", ["foodbank", "repaircafe"]),
    "bangor": ("Wales", ["foodbank"]),
    "carlisle": ("Cumbria", ["repaircafe"]),
}


@pytest.fixture
def three_towns(places: Callable[..., Place]) -> ThreeTowns:
    """An aggregator running no plugin itself, and three towns in two regions that join
    it and push their demo figures (three real instances: about ten seconds)."""
    network = places("network", plugins=[], demo=False, serve=True)
    towns = {}
    for name, (region, plugins) in TOWNS.items():
        town = places(name, town=name.title(), region=region, plugins=plugins)
        town.join(network)
        town.publish_and_push()
        towns[name] = town
    return ThreeTowns(network, towns)
